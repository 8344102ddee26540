from tests.awards.conftest import accountant  # noqa: F401 (a fixture of these tests too)
