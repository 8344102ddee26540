"""An organisation's people, managed by its managers or by a platform administrator.

Who may manage whose people (``may_manage``): an administrator (the role, not ``is_staff``) every
organisation's; a manager (``Membership.is_manager``) their own organisation's, if an administrator lets
its managers do so (``Organisation.manages_people_locally``). The roles each may give: ``grantable_roles``.

Every change is audited and checks its rules first (``ValidationError`` with a message, nothing changed).
An organisation that has a manager always keeps one: nobody withdraws or removes its last manager.
Removing someone ends their access at once: their sessions acting for that membership and its API tokens.
"""

from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError, Q
from django.utils.translation import gettext as _

from seei.accounts.middleware import SESSION_KEY as MEMBERSHIP_KEY
from seei.accounts.models import ROLE_ORGANISATION_KIND, Membership, Organisation, Role, User
from seei.core import audit, clock

# What a manager may never give; only an administrator creates accountants and administrators.
ADMINISTRATORS_ONLY = frozenset({Role.ACCOUNTANT, Role.ADMINISTRATOR})


def is_administrator(actor: Membership | None) -> bool:
    return actor is not None and actor.role == Role.ADMINISTRATOR


def may_manage(actor: Membership | None, organisation: Organisation) -> bool:
    """Whether the person acting through ``actor`` may manage the people of ``organisation``."""
    if actor is None:
        return False
    if is_administrator(actor):
        return True
    return (
        actor.is_manager and actor.organisation_id == organisation.pk and organisation.manages_people_locally
    )


def may_manage_any(actor: Membership | None) -> bool:
    """Whether the people page is open to the person (the link is shown)."""
    return actor is not None and (is_administrator(actor) or may_manage(actor, actor.organisation))


def grantable_roles(actor: Membership, organisation: Organisation) -> list[Role]:
    """The roles ``actor`` may give in ``organisation``: those of its kind (an administrator's too)."""
    roles = [Role(role) for role, kind in ROLE_ORGANISATION_KIND.items() if kind == organisation.kind]
    if not is_administrator(actor):
        roles = [role for role in roles if role not in ADMINISTRATORS_ONLY]
    return roles


def organisations_managed(actor: Membership):
    """The organisations whose people ``actor`` may see (every one for an administrator)."""
    if is_administrator(actor):
        return Organisation.objects.exclude(kind=Organisation.Kind.PRACTICE)  # simulated, nobody's people
    if may_manage(actor, actor.organisation):
        return Organisation.objects.filter(pk=actor.organisation_id)
    return Organisation.objects.none()


def people(actor: Membership, organisation: Organisation | None = None):
    """The memberships ``actor`` may manage, of one organisation or of all those it may manage."""
    selected = Membership.objects.filter(organisation__in=organisations_managed(actor))
    if organisation is not None:
        selected = selected.filter(organisation=organisation)
    return selected.select_related("user", "organisation").order_by(
        "organisation__name", "user__email", "role"
    )


def managed_membership(actor: Membership, membership_id) -> Membership | None:
    """One membership ``actor`` may manage, or None (unknown, or another organisation's)."""
    if not str(membership_id).isdigit():
        return None
    return people(actor).filter(pk=membership_id).first()


def _check(actor: Membership, organisation: Organisation) -> None:
    if not may_manage(actor, organisation):
        raise ValidationError(_("You may not manage the people of this organisation."))


def _last_manager(membership: Membership) -> bool:
    """Whether ``membership`` is its organisation's only manager (read under a lock: two managers
    withdrawing each other at the same moment must not both succeed)."""
    managers = list(
        Membership.objects.select_for_update()
        .filter(organisation_id=membership.organisation_id, is_manager=True)
        .values_list("pk", flat=True)
    )
    return managers == [membership.pk]


def _last_administrator(membership: Membership) -> bool:
    administrators = list(
        Membership.objects.select_for_update().filter(role=Role.ADMINISTRATOR).values_list("pk", flat=True)
    )
    return administrators == [membership.pk]


def set_manager(actor: Membership, membership: Membership, is_manager: bool) -> None:
    """Grant or withdraw the management of the organisation's people (audited)."""
    _check(actor, membership.organisation)
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        if membership.is_manager == is_manager:
            return
        if not is_manager and _last_manager(membership):
            raise ValidationError(
                _("%(person)s is the organisation's last manager: make someone else manager first.")
                % {"person": membership.user}
            )
        membership.is_manager = is_manager
        membership.save(update_fields=["is_manager"])
        audit.record(
            "people.manager_granted" if is_manager else "people.manager_withdrawn",
            membership,
            actor=actor.user,
            organisation=membership.organisation,
            person=membership.user.email,
            role=membership.role,
        )


def remove(actor: Membership, membership: Membership) -> None:
    """End a person's membership: their sessions acting for it and its API tokens end with it (audited)."""
    _check(actor, membership.organisation)
    try:
        with transaction.atomic():
            membership = (
                Membership.objects.select_for_update()
                .select_related("user", "organisation")
                .get(pk=membership.pk)
            )
            if membership.is_manager and _last_manager(membership):
                raise ValidationError(
                    _("%(person)s is the organisation's last manager: make someone else manager first.")
                    % {"person": membership.user}
                )
            if membership.role == Role.ADMINISTRATOR and _last_administrator(membership):
                raise ValidationError(
                    _(
                        "%(person)s is the platform's last administrator: the platform cannot lose its last one."
                    )
                    % {"person": membership.user}
                )
            tokens = list(membership.api_tokens.values_list("prefix", flat=True))
            audit.record(
                "people.removed",
                membership,
                actor=actor.user,
                organisation=membership.organisation,
                person=membership.user.email,
                role=membership.role,
                was_manager=membership.is_manager,
                api_tokens_revoked=tokens,
            )
            user, pk = membership.user, membership.pk
            membership.delete()  # its API tokens with it (CASCADE)
            end_sessions(user, pk)
    except ProtectedError:
        raise ValidationError(
            _(
                "%(person)s sits on the commission of a notice: the notice's buyer agent must replace them "
                "there before they can be removed."
            )
            % {"person": membership.user}
        ) from None


def end_sessions(user: User, membership_id: int) -> int:
    """Delete the person's sessions that act for that membership (chosen, or the default one when none
    was chosen): the site, the API and the room all refuse them at once. Returns how many ended.

    Sessions are not indexed by person: the live ones are decoded one by one (a removal is rare)."""
    ended = []
    for session in Session.objects.filter(expire_date__gt=clock.now()).iterator():
        data = session.get_decoded()
        if str(data.get("_auth_user_id")) != str(user.pk):
            continue
        chosen = data.get(MEMBERSHIP_KEY)
        if chosen is None or str(chosen) == str(membership_id):
            ended.append(session.session_key)
    Session.objects.filter(session_key__in=ended).delete()
    return len(ended)


def other_separated_role(user: User, organisation: Organisation, role: str) -> bool:
    """Whether giving ``role`` would break the separation of duties (``SEPARATED_ROLES``)."""
    return Membership(user=user, organisation=organisation, role=role).holds_the_other_separated_role()


def search(actor: Membership, organisation_id=None, text: str = ""):
    """The people page's list: narrowed to one organisation and to a name or an email."""
    selected = people(actor)
    if organisation_id and str(organisation_id).isdigit():
        selected = selected.filter(organisation_id=organisation_id)
    if text:
        selected = selected.filter(
            Q(user__email__icontains=text)
            | Q(user__first_name__icontains=text)
            | Q(user__last_name__icontains=text)
        )
    return selected


def set_local_management(actor: Membership, organisation: Organisation, allowed: bool) -> None:
    """An administrator lets an organisation's managers manage its people, or stops them (audited)."""
    if not is_administrator(actor):
        raise ValidationError(_("Only a platform administrator may change this."))
    before = organisation.manages_people_locally
    organisation.members_managed_locally = allowed
    organisation.save(update_fields=["members_managed_locally"])
    audit.record(
        "people.local_management_changed",
        organisation,
        actor=actor.user,
        organisation=organisation,
        before=before,
        after=allowed,
    )
