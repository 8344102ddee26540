"""Where the workspaces send people: one place to switch a link when a better page exists."""

from django.urls import reverse


def relaunch_lot(tender_id: int, lot_id: int) -> str:
    return reverse("tenders:relaunch", args=[tender_id, lot_id])


def vet_company(organisation_id: int) -> str:
    return reverse("administration:registrations") + f"#registration-{organisation_id}"


def pending_companies() -> str:
    return reverse("administration:registrations")


def incidents() -> str:
    return reverse("auctions:incident")


def audit_log() -> str:
    return reverse("audit_log")


def room(lot_id: int) -> str:
    return reverse("auctions:enter", args=[lot_id])


def practise() -> str:
    return reverse("practice:home")


def award(award_id: int) -> str:
    return reverse("awards:detail", args=[award_id])


def accountant_award(award_id: int) -> str:
    return reverse("awards:accountant_award", args=[award_id])


def notice(tender_id: int) -> str:
    return reverse("portal:tender", args=[tender_id])


def manage_notice(tender_id: int) -> str:
    return reverse("tenders:manage", args=[tender_id])


def answer_questions(tender_id: int) -> str:
    return reverse("tenders:clarifications", args=[tender_id])


def appoint_commission(tender_id: int) -> str:
    return reverse("applications:commission", args=[tender_id])


def examination(tender_id: int) -> str:
    return reverse("applications:examination", args=[tender_id])


def payments_received() -> str:
    return reverse("awards:list")
