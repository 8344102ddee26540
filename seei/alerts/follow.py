"""Following a notice without applying: who follows it, and a company's choice to follow or stop.

A company follows a notice when it showed interest in it (``tenders.Interest``: downloaded its file,
asked a question, applied) or chose to follow it (``Follow``, ``following``); a choice to stop
(``following`` false) wins over the interest. Followers are told of the notice's errata, answers and
cancellation (``seei.alerts.delivery``). Only a published real notice can be followed: a practice
notice never alerts anyone.
"""

from django.db.models import Exists, OuterRef
from django.http import Http404
from django.utils.translation import gettext as _

from seei.accounts.models import Role
from seei.alerts.models import Follow
from seei.core import audit, clock
from seei.tenders.models import Interest, Tender
from seei.tenders.selectors import public_tenders


def followers(tender_id: int) -> list[int]:
    """The companies following the notice, by id."""
    interested = set(Interest.objects.filter(tender_id=tender_id).values_list("company_id", flat=True))
    choices = dict(Follow.objects.filter(tender_id=tender_id).values_list("company_id", "following"))
    chosen = {company for company, following in choices.items() if following}
    stopped = {company for company, following in choices.items() if not following}
    return sorted((interested | chosen) - stopped)


def is_following(company_id: int, tender_id: int) -> bool:
    choice = Follow.objects.filter(company_id=company_id, tender_id=tender_id).values_list(
        "following", flat=True
    )
    for following in choice:
        return following
    return Interest.objects.filter(company_id=company_id, tender_id=tender_id).exists()


def followed_notices(company):
    """The real notices the company follows (any status: a cancelled one stays listed), newest
    deadline first."""
    chosen = Follow.objects.filter(company=company, tender=OuterRef("pk"))
    interested = Interest.objects.filter(company=company, tender=OuterRef("pk"))
    return (
        Tender.objects.real()
        .exclude(status=Tender.Status.DRAFT)
        .filter(
            Exists(chosen.filter(following=True))
            | (Exists(interested) & ~Exists(chosen.filter(following=False)))
        )
        .select_related("buyer")
        .order_by("-application_deadline", "-pk")
    )


def _followable(tender_id: int) -> Tender:
    tender = public_tenders().filter(pk=tender_id).first()
    if tender is None:  # a draft, a practice notice, another's guess: nothing to follow
        raise Http404(_("This notice does not exist or is not published."))
    return tender


def _choose(membership, tender_id: int, following: bool) -> Tender:
    if membership is None or membership.role != Role.COMPANY_MEMBER:
        raise Http404(_("Only a company member can follow a notice."))
    tender = _followable(tender_id)
    Follow.objects.update_or_create(
        company=membership.organisation,
        tender=tender,
        defaults={"following": following, "changed_at": clock.now(), "changed_by": membership.user},
    )
    audit.record(
        "alerts.follow" if following else "alerts.unfollow",
        tender,
        actor=membership.user,
        organisation=membership.organisation,
    )
    return tender


def follow(membership, tender_id: int) -> Tender:
    """The company follows the notice: alerted of its errata, answers and cancellation."""
    return _choose(membership, tender_id, True)


def stop_following(membership, tender_id: int) -> Tender:
    """The company stops following the notice, even one it downloaded, asked about or applied to."""
    return _choose(membership, tender_id, False)
