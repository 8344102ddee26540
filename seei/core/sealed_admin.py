"""Identities sealed in the back office until the award is final.

Nobody, not even the buyer or the platform's staff, may learn which company is behind a pseudonym,
which person tried a bid, who applied or who asked a question, while the procedure can still be
influenced. The Django admin shows these identities only once the lot's award is final (for a
whole notice: once none of its lots is still in play), or to a member of the break-glass group,
whose every look at a sealed identity is written to the audit log.

``SealedAdmin`` is the admin's half: a read-only ModelAdmin whose identity fields are declared in
``sealed`` and shown through ``revealed`` (the model admin says, per object, whether its procedure is
over). Changes go through the services, never through the admin.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.db.models.constants import LOOKUP_SEP
from django.utils.translation import gettext_lazy as _

from seei.core import audit

BREAK_GLASS_GROUP = "break-glass"  # a Django group; membership is itself granted by a superuser
SEALED_TEXT = _("sealed until the award is final")

_request = contextvars.ContextVar("sealed_admin_request", default=None)


def may_break_glass(user) -> bool:
    """Only an active staff member of the break-glass group; a superuser is no exception."""
    if not (user and user.is_active and user.is_staff):
        return False
    cached = getattr(user, "_break_glass", None)
    if cached is None:
        cached = user._break_glass = user.groups.filter(name=BREAK_GLASS_GROUP).exists()
    return cached


def audit_break_glass_changes(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    """Who joins or leaves the break-glass group is written to the audit log (connected in apps.py
    to the users' groups, either way round: ``user.groups.add`` or ``group.user_set.add``)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    if action not in ("post_add", "post_remove") or not pk_set:
        return
    if reverse:  # group.user_set changed
        if instance.name != BREAK_GLASS_GROUP:
            return
        users = get_user_model().objects.filter(pk__in=pk_set)
    else:
        if not Group.objects.filter(pk__in=pk_set, name=BREAK_GLASS_GROUP).exists():
            return
        users = [instance]
    for user in users:
        audit.record("break_glass." + ("granted" if action == "post_add" else "revoked"), user)


def _once_per_page(kind: str, key, decide: Callable[[], bool]) -> bool:
    """``decide()``, asked once per page of the admin (a list asks it for every row)."""
    current = _request.get()
    if current is None:
        return decide()
    known = current["revealed"]
    if (kind, key) not in known:
        known[(kind, key)] = decide()
    return known[(kind, key)]


def lot_revealed(lot_id: int | None) -> bool:
    """A lot's bidders may be named once its award is final."""
    from seei.awards.models import Award

    if lot_id is None:
        return False
    return _once_per_page(
        "lot", lot_id, Award.objects.filter(lot_id=lot_id, status=Award.Status.FINAL).exists
    )


def tender_revealed(tender_id: int | None) -> bool:
    """Who applied to (or asked about) a notice may be named once none of its lots is still in play:
    each is awarded (the award final) or unsuccessful."""
    from seei.tenders.models import Lot

    if tender_id is None:
        return False
    lots = Lot.objects.filter(tender_id=tender_id)

    def decide() -> bool:
        return (
            lots.exists()
            and not lots.exclude(status__in=[Lot.Status.AWARDED, Lot.Status.UNSUCCESSFUL]).exists()
        )

    return _once_per_page("tender", tender_id, decide)


def person_revealed(user_id: int) -> bool:
    """A person may be named where no procedure is known (a notification) only if no company or
    practice company counts them among its people."""
    from seei.accounts.models import Membership, Organisation

    companies = (Organisation.Kind.COMPANY, Organisation.Kind.PRACTICE)
    in_a_company = Membership.objects.filter(user_id=user_id, organisation__kind__in=companies).exists
    return _once_per_page("person", user_id, lambda: not in_a_company())


def _tender_of(model_label: str, field: str = "tender_id") -> Callable[[str], bool]:
    def revealed(object_id: str) -> bool:
        from django.apps import apps

        model = apps.get_model(model_label)
        return tender_revealed(model.objects.filter(pk=object_id).values_list(field, flat=True).first())

    return revealed


def _award_revealed(object_id: str) -> bool:
    from seei.awards.models import Award

    return lot_revealed(Award.objects.filter(pk=object_id).values_list("lot_id", flat=True).first())


# The procedure an audit event's object belongs to, by object type: when is it over?
_EVENT_PROCEDURE: dict[str, Callable[[str], bool]] = {
    "tenders.tender": lambda object_id: tender_revealed(int(object_id)),
    "tenders.lot": _tender_of("tenders.Lot"),
    "tenders.clarification": _tender_of("tenders.Clarification"),
    "applications.application": _tender_of("applications.Application"),
    "awards.award": _award_revealed,
}


def event_revealed(event) -> bool:
    """Whether an audit event may name its actor and organisation. Only the events of a company (who
    applied, asked, submitted documents) are sealed, until their procedure is over; those of an
    account (registration, tokens), of the buyer, the commission or the platform are not. An event
    whose procedure is unknown stays sealed."""
    from seei.accounts.models import Organisation

    organisation = event.organisation
    if organisation is None or organisation.kind not in (
        Organisation.Kind.COMPANY,
        Organisation.Kind.PRACTICE,
    ):
        return True
    if event.object_type.startswith("accounts."):
        return True
    decide = _EVENT_PROCEDURE.get(event.object_type)
    if decide is None:
        return False
    return _once_per_page(event.object_type, event.object_id, lambda: decide(event.object_id))


class _NoWrites:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(_NoWrites, admin.ModelAdmin):
    """Records that only the procedure writes: the back office reads them, the services change them."""


class ReadOnlyInline(_NoWrites):
    """The inline form of such records; put it before ``admin.StackedInline`` or ``admin.TabularInline``."""

    extra = 0
    can_delete = False


class SealedAdmin(ReadOnlyAdmin):
    """A read-only admin whose ``sealed`` fields (identities) show only when ``revealed(obj)``, or
    to the break-glass group (audited). ``sealed`` maps each field to its label; the field is shown
    as the column ``sealed_<field>`` (made here), for list_display and the detail page."""

    sealed: dict[str, str] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name, label in cls.sealed.items():
            setattr(cls, f"sealed_{name}", _sealed_column(name, label))

    def revealed(self, obj) -> bool:
        """Whether the procedure of this object is over, so that its identities may be shown."""
        raise NotImplementedError

    def get_exclude(self, request, obj=None):
        return [*(super().get_exclude(request, obj) or ()), *self.sealed]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), *(f"sealed_{name}" for name in self.sealed)]

    def lookup_allowed(self, lookup, value, request=None):
        # Django lets any local field filter the list from the address (``?company=5``, ``?user_id=3``):
        # on a sealed field that would list what one company or person did, whatever the column shows.
        first = lookup.split(LOOKUP_SEP, 1)[0]
        try:
            first = self.model._meta.get_field(first).name  # ``company_id`` is ``company`` too
        except FieldDoesNotExist:
            pass
        if first in self.sealed:
            return False
        return super().lookup_allowed(lookup, value, request)

    def changelist_view(self, request, extra_context=None):
        with _page(request):
            return _rendered(super().changelist_view(request, extra_context))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        with _page(request):
            return _rendered(super().change_view(request, object_id, form_url, extra_context))

    def show_sealed(self, obj, name: str):
        return show_sealed(obj, name, self.revealed(obj))


def show_sealed(obj, name: str, revealed: bool):
    """The value of ``obj.name`` when revealed or to the break-glass group (audited), else a mark."""
    value = getattr(obj, name)
    if value is None or revealed:
        return value
    current = _request.get()
    user = current["request"].user if current else None
    if not may_break_glass(user):
        return SEALED_TEXT
    key = (obj._meta.label_lower, obj.pk, name)
    if key not in current["seen"]:  # one record per object and field a page shows
        current["seen"].add(key)
        audit.record("identity.revealed", obj, actor=user, field=name, via=BREAK_GLASS_GROUP)
    return value


@contextlib.contextmanager
def _page(request):
    """One page of the admin: who asks, the sealed values it showed, the procedures it asked about."""
    token = _request.set({"request": request, "seen": set(), "revealed": {}})
    try:
        yield
    finally:
        _request.reset(token)


def _rendered(response):
    """Rendered while the request is known to ``show_sealed`` (a TemplateResponse renders late)."""
    return response.render() if hasattr(response, "render") else response


def _sealed_column(name: str, label) -> Callable:
    """The display of a sealed field, for list_display and the detail page."""

    def column(self, obj):
        return self.show_sealed(obj, name)

    column.short_description = label
    column.__name__ = f"sealed_{name}"
    return column
