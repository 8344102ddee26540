"""The guides of the help centre: who each is for, the pages it explains, its screenshots.

A guide's text lives in one template per language (``help/guides/<language>/<slug>.html``); this
module is the one list of guides. ``views`` are the URL names (``request.resolver_match.view_name``)
whose "?" link leads to the guide; ``shots`` are the screenshots it shows, which
``scripts/guide_screenshots.py`` takes again from the real pages (a test checks both lists agree).
"""

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from seei.accounts.models import Role

COMPANY, BUYER, ACCOUNTANT = "company", "buyer", "accountant"
AUDIENCES = {
    COMPANY: _("Companies"),
    BUYER: _("Buyers and commissions"),
    ACCOUNTANT: _("Accountants"),
}
# Whose guide a page shows when several guides explain it (the award page, for instance).
AUDIENCE_OF_ROLE = {
    Role.COMPANY_MEMBER: COMPANY,
    Role.BUYER_AGENT: BUYER,
    Role.COMMISSION_MEMBER: BUYER,
    Role.ACCOUNTANT: ACCOUNTANT,
}
SHOTS_DIR = Path(__file__).resolve().parent / "static" / "help" / "shots"
SHOT_FORMAT = "webp"
SHOT_SIZE = (1100, 700)  # every screenshot is the viewport of this size


@dataclass(frozen=True)
class Guide:
    slug: str
    audience: str
    title: str
    summary: str
    views: tuple[str, ...]
    shots: tuple[str, ...]

    def get_absolute_url(self) -> str:
        return reverse("help:guide", args=[self.slug])

    def template_names(self, language: str) -> list[str]:
        """Its text in ``language``, else in the default language."""
        return [
            f"help/guides/{code}/{self.slug}.html"
            for code in dict.fromkeys([language, settings.LANGUAGE_CODE])
        ]


GUIDES = (
    Guide(
        "company-register",
        COMPANY,
        _("Register your company"),
        _("Create the account of your company, verify your email address and log in."),
        views=(
            "accounts:register",
            "accounts:verify",
            "accounts:login",
            "accounts:profile",
            "accounts:password_reset",
            "accounts:password_reset_done",
            "accounts:password_reset_confirm",
            "accounts:password_reset_complete",
        ),
        shots=("register", "login"),
    ),
    Guide(
        "company-find",
        COMPANY,
        _("Find opportunities: search and alerts"),
        _("Search the notices, read a notice and its consultation file, ask a question, be alerted."),
        views=("portal:home", "portal:tenders", "portal:tender", "portal:dashboard", "portal:notifications"),
        shots=("search", "notice", "dashboard"),
    ),
    Guide(
        "company-apply",
        COMPANY,
        _("Apply: the sealed application"),
        _("Choose the lots, attach your documents, change or withdraw your application before the deadline."),
        views=("applications:apply", "applications:mine", "applications:withdraw", "applications:document"),
        shots=("apply", "applications"),
    ),
    Guide(
        "company-room",
        COMPANY,
        _("The auction room: enter, bid, read your rank"),
        _("Practise, enter the room you are invited to, place your bids and follow your rank live."),
        views=("auctions:enter", "auctions:room", "auctions:watch", "auctions:replay", "practice:home"),
        shots=("practice", "room", "replay"),
    ),
    Guide(
        "company-award",
        COMPANY,
        _("After the auction: the award"),
        _(
            "The lowest price is asked for its documents; the award becomes final; everyone learns the result."
        ),
        views=("awards:list", "awards:detail", "awards:submit", "awards:document", "awards:result"),
        shots=("company-award", "result"),
    ),
    Guide(
        "company-receipts",
        COMPANY,
        _("Receipts and how to verify them"),
        _("Keep the receipts of your applications and bids, and check them with the public key."),
        views=("applications:receipt", "applications:receipt_pdf", "auctions:public_key"),
        shots=("receipt", "public-key"),
    ),
    Guide(
        "buyer-notice",
        BUYER,
        _("Publish a notice"),
        _("Write the notice, its lots, items and auction rules, add the consultation file and publish."),
        views=(
            "tenders:list",
            "tenders:create",
            "tenders:manage",
            "tenders:edit",
            "tenders:lot_create",
            "tenders:lot_edit",
            "tenders:lot_delete",
            "tenders:document_add",
            "tenders:publish",
        ),
        shots=("buyer-notices", "buyer-draft", "lot-form"),
    ),
    Guide(
        "buyer-errata",
        BUYER,
        _("Errata: amend a published notice"),
        _("Change a published notice by an erratum; what moves the deadline; who is told."),
        views=("tenders:erratum",),
        shots=("erratum", "errata-history"),
    ),
    Guide(
        "buyer-clarifications",
        BUYER,
        _("Answer clarification requests"),
        _("Answer the companies' questions; the answers are published for everyone, anonymously."),
        views=("tenders:clarifications", "tenders:answer"),
        shots=("clarifications",),
    ),
    Guide(
        "buyer-commission",
        BUYER,
        _("The commission: opening, admission, minutes"),
        _(
            "Name the commission, open the applications after the deadline, admit or exclude, close the session."
        ),
        views=(
            "applications:commission",
            "applications:commission_list",
            "applications:examination",
            "applications:open",
            "applications:decide",
            "applications:close",
            "applications:sealed_document",
            "applications:minutes",
        ),
        shots=("commission", "examination"),
    ),
    Guide(
        "buyer-award",
        BUYER,
        _("The award: from the ranking to the final award"),
        _("Follow the room, check the documents of the best-ranked bidder, confirm the award."),
        views=(
            "awards:list",
            "awards:detail",
            "awards:confirm",
            "awards:fail",
            "awards:minutes",
            "awards:result",
            "auctions:watch",
            "auctions:replay",
        ),
        shots=("awards", "buyer-award"),
    ),
    Guide(
        "accountant",
        ACCOUNTANT,
        _("Visa and payments"),
        _("Check the ledger, give or refuse the visa on the commitment, record the payments."),
        views=(
            "awards:accountant",
            "awards:accountant_award",
            "awards:ledger",
            "awards:verify",
            "awards:visa",
            "awards:payment",
        ),
        shots=("accountant-awards", "accountant-award", "payments"),
    ),
)

BY_SLUG = {guide.slug: guide for guide in GUIDES}


def _guides_by_view() -> dict[str, tuple[Guide, ...]]:
    found: dict[str, tuple[Guide, ...]] = {}
    for guide in GUIDES:
        for view in guide.views:
            found[view] = (*found.get(view, ()), guide)
    return found


BY_VIEW = _guides_by_view()


def for_page(view_name: str | None, role: str | None = None) -> Guide | None:
    """The guide of a page (its URL name), the one for the visitor's role when several explain it;
    None for a page without a guide (its "?" leads to the help centre's index)."""
    candidates = BY_VIEW.get(view_name or "", ())
    audience = AUDIENCE_OF_ROLE.get(role)
    return next((guide for guide in candidates if guide.audience == audience), None) or next(
        iter(candidates), None
    )


def of_audience(audience: str) -> list[Guide]:
    return [guide for guide in GUIDES if guide.audience == audience]


def neighbours(guide: Guide) -> tuple[Guide | None, Guide | None]:
    """The previous and the next step in the same audience's guides."""
    steps = of_audience(guide.audience)
    position = steps.index(guide)
    return (
        steps[position - 1] if position else None,
        steps[position + 1] if position + 1 < len(steps) else None,
    )


def shot_names() -> set[str]:
    return {shot for guide in GUIDES for shot in guide.shots}


def shot_path(language: str, name: str):
    return SHOTS_DIR / language / f"{name}.{SHOT_FORMAT}"


def procedure() -> dict[str, int]:
    """The numbers of the procedure as this platform is configured, for the guides' text."""
    from seei.applications.models import MIN_ADMITTED, MIN_APPLICATIONS

    return {
        "publicity_days": settings.SEEI_PUBLICITY_MIN_DAYS,
        "room_days": settings.SEEI_ROOM_MIN_DAYS_AFTER_DEADLINE,
        "erratum_days": settings.SEEI_ERRATUM_MIN_REMAINING_DAYS,
        "documents_days": int(settings.SEEI_AWARD_DOCUMENTS_DAYS),
        "closing_soon_days": settings.SEEI_CLOSING_SOON_DAYS,
        "min_applications": MIN_APPLICATIONS,
        "min_admitted": MIN_ADMITTED,
        "max_upload_mb": settings.SEEI_MAX_UPLOAD_MB,
    }
