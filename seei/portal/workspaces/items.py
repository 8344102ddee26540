"""What needs a person now: short actionable items, each with its link and, if any, its due date."""

from dataclasses import dataclass
from datetime import datetime

from seei.portal.workspaces import links


@dataclass(frozen=True)
class Todo:
    label: str  # what to do, already translated
    url: str
    subject: str = ""  # what it is about: a notice's reference, a lot...
    due: datetime | None = None  # the deadline or the moment it happens
    practice: bool = False  # shown with a "practice" label, never mistaken for real work


def ordered(todos: list[Todo]) -> list[Todo]:
    """The earliest due first; items without a date last, in their given order."""
    return sorted(todos, key=lambda item: (item.due is None, item.due.timestamp() if item.due else 0))


def lot_subject(lot) -> str:
    return f"{lot.tender.reference} / {lot.number} — {lot.title}"


def award_step(step, label: str) -> Todo:
    """An award whose documents are awaited: the candidate sends them, the commission checks them."""
    lot = step.award.lot
    return Todo(
        label=label,
        url=links.award(step.award_id),
        subject=lot_subject(lot),
        due=step.documents_deadline,
        practice=lot.tender.practice,
    )
