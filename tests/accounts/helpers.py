"""Data shared by the accounts tests."""

import re

STRONG_PASSWORD = "Zellige-Tanger-2026!"


def registration_data(**overrides) -> dict:
    data = {
        "company_name": "Rif Fournitures SARL",
        "country": "MA",
        "ice": "003456789000045",
        "rc": "RC-77120",
        "national_registration": "",
        "city": "Tanger",
        "first_name": "Youssef",
        "last_name": "Alami",
        "email": "youssef@rif-fournitures.ma",
        "password1": STRONG_PASSWORD,
        "password2": STRONG_PASSWORD,
        "language": "ar",
    }
    data.update(overrides)
    return data


def link_path(body: str) -> str:
    """The path of the first absolute link in an email body."""
    match = re.search(r"https?://[^/\s]+(/\S+)", body)
    assert match, body
    return match.group(1)
