"""The documents a notice requires: of the applications (their kinds) and of the provisional
awardee (seei.awards.documents). Chosen per notice in the draft; none chosen means all of them."""

from django.utils.translation import gettext as _

from seei.awards import documents as award_kinds
from seei.tenders.errors import TenderError

FIELDS = ("application_documents", "award_documents")  # on Tender


def application_choices():
    from seei.applications.models import ApplicationDocument  # the applications app imports tenders

    return ApplicationDocument.Kind.choices


def award_choices():
    return list(award_kinds.KINDS.items())


def check(values: dict) -> None:
    """The chosen kinds, among the known ones (the forms offer only those; the API may send others)."""
    known = {
        "application_documents": {k for k, _label in application_choices()},
        "award_documents": set(award_kinds.KINDS),
    }
    errors = {
        field: _("Choose among the documents offered.")
        for field, kinds in known.items()
        if field in values and not set(values[field] or []) <= kinds
    }
    if errors:
        raise TenderError(errors)


def application_documents(tender) -> list[str]:
    return list(tender.application_documents or []) or [k for k, _label in application_choices()]


def award_documents(tender) -> list[str]:
    chosen = [k for k in tender.award_documents or [] if k in award_kinds.KINDS]
    return chosen or award_kinds.required()
