"""Where the workspaces send people: one place to switch a link when a better page exists.

Some targets are provisional (the issue's other parts add the pages): relaunching an unsuccessful lot
opens the notice's page until the buyer's relaunch action exists, and vetting a company opens the
raw admin until the in-application administration does.
"""

from django.urls import reverse


def relaunch_lot(tender_id: int, lot_id: int) -> str:
    # Provisional: the buyer's "relaunch as a new notice" action will replace this.
    return reverse("tenders:manage", args=[tender_id]) + f"#lot-{lot_id}"


def vet_company(organisation_id: int) -> str:
    # Provisional: the administration pages (seei/administration) will replace the raw admin.
    return reverse("admin:accounts_organisation_change", args=[organisation_id])


def pending_companies() -> str:
    # Provisional, as above.
    return reverse("admin:accounts_organisation_changelist") + "?kind__exact=company&pending__exact=1"


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
    # Provisional: the company's documents page (seei/companies) may list them with its receipts.
    return reverse("awards:list")
