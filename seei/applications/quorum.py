"""The commission's arithmetic: its quorum, who may vote, and the outcome of the votes.

The quorum is more than ``SEEI_COMMISSION_QUORUM_SHARE`` (a half by default) of the members named,
conflicted or not: a commission cannot shrink its own quorum by declaring conflicts.
"""

import math

from django.conf import settings

from seei.applications.models import CommissionMember, Decision, InterestDeclaration, Vote


def quorum(members: int) -> int:
    """The smallest number of members that is more than the share: 1 of 1, 2 of 2 or 3, 3 of 4."""
    share = getattr(settings, "SEEI_COMMISSION_QUORUM_SHARE", 0.5)
    return math.floor(members * share) + 1


def commission_size(tender) -> int:
    return CommissionMember.objects.filter(tender=tender).count()


def seated(tender):
    """Members who declared no conflict of interest: they alone vote and approve the minutes."""
    return CommissionMember.objects.filter(tender=tender, declaration__conflict=False)


def declarations(tender):
    return InterestDeclaration.objects.filter(member__tender=tender).select_related(
        "member__membership__user"
    )


def has_quorum(tender) -> bool:
    return seated(tender).count() >= quorum(commission_size(tender))


def outcome(votes, president_id) -> tuple[str | None, Vote | None]:
    """The commission's outcome from the votes of one application on one lot: the majority, once
    a quorum voted; in a tie, the president's vote decides. Returns (outcome or None, the vote
    that carries the decision's reason and author)."""
    votes = list(votes)
    if not votes:
        return None, None
    tender = votes[0].member.tender
    if len(votes) < quorum(commission_size(tender)):
        return None, None
    admitted = [v for v in votes if v.outcome == Decision.Outcome.ADMITTED]
    excluded = [v for v in votes if v.outcome == Decision.Outcome.EXCLUDED]
    if len(admitted) != len(excluded):
        winners = admitted if len(admitted) > len(excluded) else excluded
        president_vote = next((v for v in winners if v.member_id == president_id), None)
        return winners[0].outcome, president_vote or winners[-1]
    casting = next((v for v in votes if v.member_id == president_id), None)
    if casting is None:
        return None, None  # a tie the president, absent or conflicted, cannot break
    return casting.outcome, casting
