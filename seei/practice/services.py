"""Practice auctions: real rooms, through the real machinery, marked practice from the genesis on.

A practice lot is a lot of a practice notice (``Tender.practice``), so the same rules, bid path,
ledger, receipts, room, countdown, extensions and closing task run it; the mark keeps it out of
everything public or counted (``Tender.objects.real()``), and a practice auction never awards.
Its rivals are simulated companies (``Organisation.Kind.PRACTICE``) whose bids go through the same
bid path as people's (``rivals_step``), at the pace of their style (``seei.practice.styles``).
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Min, Q
from django.utils.translation import gettext as _

from seei.accounts.models import Membership, Organisation, Role, User
from seei.auctions import bidding, flood, rules
from seei.auctions import services as auctions
from seei.auctions import tasks as auction_tasks
from seei.auctions.models import Bidder, Room
from seei.auctions.selectors import live_card
from seei.core.translated import make
from seei.practice import styles
from seei.practice.models import PracticeLot, Rival
from seei.tenders.errors import TenderError
from seei.tenders.models import Category, Item, Lot, Region, Tender

log = logging.getLogger(__name__)

PUBLIC_LOCK = 7_310_001  # the advisory lock under which the public practice auction is renewed
MAX_RIVALS = 8


class PracticeError(TenderError):
    """A practice request that cannot be met (its message is for the person)."""


@dataclass(frozen=True)
class PracticeSettings:
    minutes: int = 5
    rivals: int = 4
    min_decrement_percent: Decimal = Decimal("0.5")
    max_decrement_percent: Decimal = Decimal("10")
    starting_price: Decimal = Decimal("100000.00")

    def __post_init__(self):
        if not 1 <= self.minutes <= 60:
            raise PracticeError(_("A practice auction lasts from 1 to 60 minutes."))
        if not 1 <= self.rivals <= MAX_RIVALS:
            raise PracticeError(_("Choose from 1 to %(max)s simulated rivals.") % {"max": MAX_RIVALS})
        if not Decimal("0.01") <= self.min_decrement_percent <= self.max_decrement_percent <= Decimal("50"):
            raise PracticeError(
                _(
                    "The minimum decrement must be at least 0.01 % and at most the maximum, itself at most 50 %."
                )
            )


def public_settings() -> PracticeSettings:
    return PracticeSettings(minutes=settings.SEEI_PRACTICE_MINUTES, rivals=settings.SEEI_PRACTICE_RIVALS)


# --- who takes part ---------------------------------------------------------------------------------


def _practice_buyer() -> Organisation:
    return Organisation.objects.get_or_create(kind=Organisation.Kind.PLATFORM, name="SEEI — practice")[0]


def _rivals(count: int) -> list[Membership]:
    """The simulated companies, created once and reused: a room gives each a new pseudonym."""
    members = []
    for number in range(1, count + 1):
        company = Organisation.objects.get_or_create(
            kind=Organisation.Kind.PRACTICE, name=f"Simulated company {number}"
        )[0]
        user, created = User.objects.get_or_create(
            email=f"rival-{number}@practice.seei.invalid",
            defaults={"first_name": "Rival", "last_name": str(number), "email_verified": True},
        )
        if created:
            user.set_unusable_password()  # nobody logs in as a rival
            user.save(update_fields=["password"])
        members.append(
            Membership.objects.get_or_create(user=user, organisation=company, role=Role.COMPANY_MEMBER)[0]
        )
    return members


def _category_and_region() -> tuple[Category, Region]:
    # get_or_create: the worker's public practice loop may create them at the same moment.
    category = (
        Category.objects.order_by("code").first()
        or Category.objects.get_or_create(
            code="99",
            defaults={
                "name": make("fr", fr="Fournitures diverses", en="Miscellaneous supplies", ar="لوازم متنوعة")
            },
        )[0]
    )
    region = (
        Region.objects.order_by("code").first()
        or Region.objects.get_or_create(
            code="MA-00", defaults={"name": make("fr", fr="National", en="National", ar="وطني")}
        )[0]
    )
    return category, region


# What is bought in practice: nothing; what the notice says it buys, office chairs.
AUCTION_TITLE = {
    "fr": "Enchère d'entraînement : chaises de bureau",
    "en": "Practice auction: office chairs",
    "ar": "مزاد تدريبي: كراسي مكتب",
}
PROCEDURE_TITLE = {
    "fr": "Procédure d'entraînement : chaises de bureau",
    "en": "Practice procedure: office chairs",
    "ar": "مسطرة تدريبية: كراسي مكتب",
}


def new_lot(
    choice: PracticeSettings,
    *,
    buyer: Organisation,
    title: dict,
    deadline: datetime,
    opens_at: datetime,
    public_watch: bool = False,
    published_at: datetime | None = None,
    created_by: User | None = None,
) -> Lot:
    """A practice notice (published at ``published_at``, else a draft) with its one lot and item."""
    category, region = _category_and_region()
    tender = Tender.objects.create(
        practice=True,
        buyer=buyer,
        created_by=created_by,
        reference=f"PRACTICE-{opens_at:%Y%m%d%H%M}-{secrets.token_hex(3).upper()}",
        original_language="fr",
        title=make("fr", **title),
        object=make(
            "fr",
            fr="Entraînement : rien n'est acheté, rien n'est payé.",
            en="Practice: nothing is bought, nothing is paid.",
            ar="تدريب: لا يُشترى شيء ولا يُدفع شيء.",
        ),
        category=category,
        region=region,
        delivery_place="—",
        currency="MAD",
        application_deadline=deadline,
        status=Tender.Status.PUBLISHED if published_at else Tender.Status.DRAFT,
        published_at=published_at,
    )
    lot = Lot.objects.create(
        tender=tender,
        number=1,
        title=make(
            "fr",
            fr="Lot unique : 200 chaises de bureau",
            en="Single lot: 200 office chairs",
            ar="حصة وحيدة: 200 كرسي مكتب",
        ),
        estimated_amount=choice.starting_price,
        starting_price=choice.starting_price,
        min_decrement_kind=Lot.DecrementKind.PERCENT,
        min_decrement=choice.min_decrement_percent,
        max_decrement_kind=Lot.DecrementKind.PERCENT,
        max_decrement=choice.max_decrement_percent,
        opens_at=opens_at,
        duration_minutes=choice.minutes,
        extension_window_seconds=60,
        extension_seconds=60,
        visibility=Lot.Visibility.BEST,
        min_bid_interval_seconds=2,
        public_watch=public_watch,
    )
    Item.objects.create(
        lot=lot,
        designation=make("fr", fr="Chaise de bureau", en="Office chair", ar="كرسي مكتب"),
        specification=make("fr", fr="Réglable, accoudoirs", en="Adjustable, armrests", ar="قابل للتعديل"),
        quantity=200,
        unit="unité",
    )
    return lot


# --- starting one -------------------------------------------------------------------------------------


def start(
    choice: PracticeSettings,
    *,
    owner: Organisation | None = None,
    public: bool = False,
    opens_in: timedelta = timedelta(seconds=10),
) -> Lot:
    """A practice lot opening in ``opens_in``: private to ``owner`` (a company, itself a bidder), or
    the platform's public one (``public``: anyone may watch, any company may take a free seat)."""
    with transaction.atomic():
        now = auctions.db_now()
        lot = new_lot(
            choice,
            buyer=_practice_buyer(),
            title=AUCTION_TITLE,
            deadline=now,
            opens_at=now + opens_in,
            public_watch=public,
            published_at=now,
        )
        rivals = _rivals(choice.rivals)
        companies = [member.organisation for member in rivals] + ([owner] if owner is not None else [])
        seats = settings.SEEI_PRACTICE_SEATS if public else 0
        room = auctions.create_room(lot, companies, now, open_seats=seats)
        PracticeLot.objects.create(lot=lot, owner=owner, public=public, created_at=now)
        _seat_rivals(room, rivals, lot, random.Random())
        auction_tasks.schedule_open(lot.pk, room.opens_at)
        auction_tasks.schedule_close(lot.pk, room.closes_at)
        from seei.practice import tasks

        tasks.schedule_step(lot.pk, room.opens_at)
    return lot


def _seat_rivals(room: Room, rivals: list[Membership], lot: Lot, rng: random.Random) -> None:
    pseudonym_of = dict(Bidder.objects.filter(room=room).values_list("company_id", "id"))
    kinds = list(styles.STYLES)
    rng.shuffle(kinds)
    for number, member in enumerate(rivals):
        floor = lot.starting_price * Decimal(str(round(rng.uniform(0.62, 0.85), 4)))
        Rival.objects.create(
            bidder_id=pseudonym_of[member.organisation_id],
            user=member.user,
            style=kinds[number % len(kinds)],
            floor=floor.quantize(Decimal("0.01")),
            next_at=lot.opens_at + timedelta(seconds=rng.uniform(1, 12)),
        )


def ensure_public() -> Lot:
    """The public practice auction now scheduled or open, or a new one (any number of workers may
    ask at once: the advisory lock lets one start it)."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PUBLIC_LOCK])
        current = (
            PracticeLot.objects.filter(
                public=True, lot__room__status__in=[Room.Status.SCHEDULED, Room.Status.OPEN]
            )
            .order_by("-created_at")
            .select_related("lot")
            .first()
        )
        if current is not None:
            return current.lot
        return start(public_settings(), public=True, opens_in=timedelta(seconds=5))


def joinable(lot_id: int) -> bool:
    return PracticeLot.objects.filter(lot_id=lot_id, public=True).exists()


def join(lot_id: int, company: Organisation) -> str:
    """A free seat of the public practice auction for ``company`` (the same one if it has one): its
    pseudonym. The seats were frozen in the genesis, so the ledger stays verifiable."""
    with transaction.atomic():
        room = (
            Room.objects.select_for_update()
            .filter(lot_id=lot_id, lot__practice_settings__public=True)
            .first()
        )
        if room is None:
            raise PracticeError(_("Only the public practice auction can be joined."))
        mine = Bidder.objects.filter(room=room, company=company).values_list("pseudonym", flat=True).first()
        if mine is not None:
            return mine
        if room.status == Room.Status.CLOSED:
            raise PracticeError(_("This practice auction is over: join the next one."))
        taken = set(Bidder.objects.filter(room=room).values_list("pseudonym", flat=True))
        free = [pseudonym for pseudonym in room.params["bidders"] if pseudonym not in taken]
        if not free:
            raise PracticeError(_("This practice auction is full: start one of your own."))
        return Bidder.objects.create(room=room, company=company, pseudonym=secrets.choice(free)).pseudonym


# --- the rivals ----------------------------------------------------------------------------------------


async def _place(rival: Rival, lot_id: int, amount: Decimal) -> bidding.BidResult:
    async with bidding.connection() as conn:
        try:
            return await bidding.place_bid(
                conn,
                lot_id=lot_id,
                user_id=rival.user_id,
                amount=rules.format_decimal(amount),
                request_id=f"rival-{rival.pk}-{rival.bids}-{secrets.token_hex(4)}",
                lang="en",
            )
        except flood.Throttled as held_back:  # held back like a person: the rival looks again later
            return bidding.BidResult(accepted=False, reason=held_back.reason, message="")


def _place_now(rival: Rival, lot_id: int, amount: Decimal) -> bidding.BidResult:
    """The bid, on an event loop of its own in a thread of its own: whatever thread calls (a worker's,
    or one that already runs a loop, which ``async_to_sync`` refuses)."""
    with ThreadPoolExecutor(1) as executor:
        return executor.submit(asyncio.run, _place(rival, lot_id, amount)).result()


def rivals_step(lot_id: int, rng: random.Random | None = None) -> datetime | None:
    """Each rival whose time has come looks at the room and bids or not, through the bid path; the
    time of the next look, or None once the room is closed. Rivals are locked while they act
    (SKIP LOCKED), so two workers never move the same rival."""
    rng = rng or random.Random()
    room = Room.objects.filter(lot_id=lot_id).first()
    if room is None or room.status == Room.Status.CLOSED:
        return None
    now = auctions.db_now()
    if now < room.opens_at:
        return room.opens_at
    with transaction.atomic():
        due = list(
            Rival.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(bidder__room=room, next_at__lte=now)
            .select_related("bidder")
            .order_by("next_at")
        )
        # Locked alone (not the bidder rows it joins: a bid's audit row takes a key-share lock on them).
        for rival in due:
            move = styles.next_move(rival.style, _situation(room, rival, now), rng)
            if move.amount is not None and _place_now(rival, lot_id, move.amount).accepted:
                rival.bids += 1
            rival.next_at = now + move.wait
            rival.save(update_fields=["bids", "next_at"])
    return Rival.objects.filter(bidder__room=room).aggregate(next=Min("next_at"))["next"]


def _situation(room: Room, rival: Rival, now: datetime) -> styles.Situation:
    params, state = auctions.rules_of(room)
    return styles.seen_by(params, state, rival.bidder.pseudonym, rival.floor, now, state.closes_at)


# --- reading them ----------------------------------------------------------------------------------------


def listed(company: Organisation | None = None, *, live_only: bool = True) -> list[dict]:
    """The public practice auctions and the company's own, live and upcoming (closed ones too when
    ``live_only`` is false), newest first, with their live figures."""
    shown = Q(public=True) | (Q(owner=company) if company is not None else Q(pk__in=[]))
    practice = PracticeLot.objects.filter(shown).select_related("lot__room").order_by("-created_at")
    if live_only:
        practice = practice.filter(lot__room__status__in=[Room.Status.SCHEDULED, Room.Status.OPEN])
    return [{**live_card(item.lot.room), "public": item.public} for item in practice[:20]]
