"""State changes of the live auction: the genesis, opening, closing and incident suspensions.

Every change locks the room row, reads the clock of record (PostgreSQL's, see
``bidding.now_sql``) after the lock, lets ``rules.py`` decide, then appends the signed ledger
entry and moves the cached state in the same transaction. Bids themselves go through
``bidding.place_bid`` (the hot path); ``record_bid`` here is the same decision for the back
office and the demo, through the ORM. Snapshots and notifications leave after commit.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from seei.accounts.models import Role, User
from seei.alerts.services import LocalAmount, LocalTime, company_users, notify
from seei.auctions import bidding, events, ledger, rules, signing, watchdog
from seei.auctions.models import BidAttempt, Bidder, LedgerEntry, Room, Suspension
from seei.awards.services import start_award_after_close
from seei.core import audit
from seei.help import services as help_services
from seei.ocds import hooks as ocds
from seei.portal import cache as portal_cache
from seei.tenders.errors import TenderError
from seei.tenders.models import Lot
from seei.transparency import services as transparency

MINOR_DIGITS = {"MAD": 2, "EUR": 2, "USD": 2}  # the minor unit of each currency of the platform
PSEUDONYM_PREFIX = "Bidder"


# The clock of record ----------------------------------------------------------------------------


def db_now() -> datetime:
    """PostgreSQL's time (with the test offset): the same clock as the bid transaction."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {bidding.now_sql()}")
        return rules.utc(cursor.fetchone()[0])


# The genesis -------------------------------------------------------------------------------------


def lot_ref(lot: Lot) -> str:
    """The lot's public reference, frozen in the genesis: ``AO-2026-001/1``."""
    return f"{lot.tender.reference}/{lot.number}"


def _decrement(kind: str, value) -> rules.Decrement | None:
    return None if value is None else rules.Decrement(kind, Decimal(value))


def lot_params(lot: Lot, pseudonyms: list[str]) -> rules.LotParams:
    """The lot's auction parameters as the rules read them; the close is opens_at + duration."""
    currency = lot.tender.currency
    return rules.LotParams(
        currency=currency,
        minor_digits=MINOR_DIGITS.get(currency, 2),
        starting_price=Decimal(lot.starting_price),
        min_decrement=_decrement(lot.min_decrement_kind, lot.min_decrement),
        max_decrement=_decrement(lot.max_decrement_kind, lot.max_decrement),
        decrement_base=lot.decrement_base,
        opens_at=lot.opens_at,
        closes_at=lot.opens_at + timedelta(minutes=lot.duration_minutes),
        extension_window=timedelta(seconds=lot.extension_window_seconds),
        extension=timedelta(seconds=lot.extension_seconds),
        extension_cap=lot.extension_cap,
        only_lead_change_extends=lot.only_lead_change_extends,
        refuse_equal_best=lot.refuse_equal_best,
        min_bid_interval=timedelta(seconds=lot.min_bid_interval_seconds),
        visibility=lot.visibility,
        bidders=tuple(pseudonyms),
        practice=lot.tender.practice,
    )


def new_pseudonyms(count: int) -> list[str]:
    """Random, unique and sorted: neither the order of admission nor an id shows through."""
    names: set[str] = set()
    while len(names) < count:
        names.add(f"{PSEUDONYM_PREFIX} {secrets.token_hex(2).upper()}")
    return sorted(names)


def _admitted(lot: Lot):
    from seei.applications.selectors import admitted_companies

    return list(admitted_companies(lot).order_by("pk"))


def prepare_room(lot: Lot, companies=None) -> Room:
    """Freeze the lot's parameters and its admitted bidders' pseudonyms (the genesis).

    Called when the commission closes its session (the admitted companies are then final);
    ``companies`` defaults to ``seei.applications.selectors.admitted_companies(lot)``.
    Idempotent: a lot that already has its room keeps it unchanged. Schedules the opening,
    the close and the reminders with the task worker.
    """
    with transaction.atomic():
        lot = Lot.objects.select_for_update().select_related("tender").get(pk=lot.pk)
        existing = Room.objects.filter(lot=lot).first()
        if existing is not None:
            return existing
        companies = _admitted(lot) if companies is None else list(companies)
        if not companies:
            raise TenderError(_("No company is admitted to this lot: there is no auction room to prepare."))
        now = db_now()
        if now >= lot.opens_at:
            raise TenderError(
                _(
                    "The parameters of a lot are frozen before its room opens; this room should have opened on %(when)s."
                )
                % {"when": LocalTime(lot.opens_at)}
            )
        room = create_room(lot, companies, now)
        audit.record("auction.prepared", lot, bidders=len(companies), genesis=room.genesis_hash)
        from seei.alerts.tasks import schedule_reminders
        from seei.auctions import tasks

        tasks.schedule_open(lot.pk, room.opens_at)
        tasks.schedule_close(lot.pk, room.closes_at)
        schedule_reminders(room)
        if lot.tender.practice:  # a buyer's practice procedure: its simulated companies bid by themselves
            from seei.practice import procedure

            procedure.seat_rivals(room)
    return room


def create_room(lot: Lot, companies, at: datetime, open_seats: int = 0) -> Room:
    """The room, its bidders and the genesis entry, frozen at ``at`` (no checks, no scheduling).
    ``open_seats``: pseudonyms frozen with no company yet, taken later by companies that join (a
    public practice auction); the chain stays verifiable since every bidder is in the genesis."""
    pseudonyms = new_pseudonyms(len(companies) + open_seats)
    params = lot_params(lot, pseudonyms)
    genesis = ledger.Chain.genesis(lot_ref(lot), params, at)
    state = rules.State.initial(params)
    room = Room.objects.create(
        lot=lot,
        ref=lot_ref(lot),
        params=params.to_dict(),
        state=state.to_dict(),
        seq=0,
        opens_at=params.opens_at,
        closes_at=params.closes_at,
        genesis_hash=genesis["hash"],
        last_hash=genesis["hash"],
        created_at=at,
        updated_at=at,
    )
    # Each company gets a pseudonym drawn at random, whatever its place in the list.
    shuffled = list(pseudonyms)
    secrets.SystemRandom().shuffle(shuffled)
    Bidder.objects.bulk_create(
        Bidder(room=room, company=company, pseudonym=pseudonym)
        for company, pseudonym in zip(companies, shuffled, strict=False)
    )
    _store_entry(room, genesis)
    return room


# Appending to the chain ----------------------------------------------------------------------------


def _lock(lot_id: int) -> Room | None:
    return Room.objects.select_for_update().filter(lot_id=lot_id).first()


def rules_of(room: Room) -> tuple[rules.LotParams, rules.State]:
    """The room's frozen parameters and its state at the head of the chain (``Room.state`` is a
    checkpoint: see bidding.state)."""
    return rules.LotParams.from_dict(room.params), bidding.state_of_room_sync(room)


def signed_entry(room: Room, entry: dict) -> LedgerEntry:
    """The row of a chain entry (as ``ledger.Chain`` makes it), signed, not saved yet."""
    return LedgerEntry(
        room=room,
        seq=entry["seq"],
        type=entry["type"],
        at=rules.parse_time(entry["at"]),
        data=entry["data"],
        prev_hash=entry["prev_hash"],
        hash=entry["hash"],
        signature=signing.sign_entry(entry),
    )


def _store_entry(room: Room, entry: dict) -> LedgerEntry:
    stored = signed_entry(room, entry)
    stored.save(force_insert=True)
    return stored


def _head(room: Room) -> dict:
    return {"seq": room.seq, "hash": room.last_hash}


def _append(room: Room, entry: dict, state: rules.State, at: datetime, **fields) -> LedgerEntry:
    """Store the entry and move the room to ``state`` (whose seq is the entry's)."""
    stored = _store_entry(room, entry)
    room.state = state.to_dict()
    room.seq = entry["seq"]
    room.last_hash = entry["hash"]
    room.closes_at = state.closes_at
    room.updated_at = at
    for name, value in fields.items():
        setattr(room, name, value)
    room.save(update_fields=["state", "seq", "last_hash", "closes_at", "updated_at", *fields])
    return stored


def _publish_on_commit(lot_id: int) -> None:
    transaction.on_commit(lambda: events.publish_sync(lot_id, bidding.snapshot_sync(lot_id)))


def record_bid(room: Room, pseudonym: str, amount: Decimal, at: datetime) -> rules.Accepted | rules.Refused:
    """The rules' decision on a bid received at ``at``, appended when accepted (the room must be
    locked). For the back office and the demo; the room's bids go through ``bidding.place_bid``."""
    params, state = rules_of(room)
    result = rules.apply_bid(params, state, pseudonym, amount, at)
    if isinstance(result, rules.Accepted):
        entry = ledger.Chain.bid(_head(room), result.bid)
        stored = _append(room, entry, result.state, at)
        bidder = Bidder.objects.get(room=room, pseudonym=pseudonym)
        user = User.objects.filter(
            memberships__organisation=bidder.company_id, memberships__role=Role.COMPANY_MEMBER
        ).first()
        if user is not None:
            BidAttempt.objects.create(
                room=room,
                bidder=bidder,
                user=user,
                amount_text=rules.format_decimal(result.bid.amount),
                amount=result.bid.amount,
                at=at,
                outcome=BidAttempt.Outcome.ACCEPTED,
                request_id=f"seq-{entry['seq']}",
                entry=stored,
            )
    return result


# Opening and closing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What a task found: ``done`` when it changed the room, else why not (``status``)."""

    lot_id: int
    status: str  # opened | closed | already | not_due | suspended | no_room
    when: datetime | None = None  # when to try again (not_due)

    @property
    def done(self) -> bool:
        return self.status in ("opened", "closed")


def active_suspension() -> Suspension | None:
    return Suspension.objects.filter(ended_at__isnull=True).order_by("-started_at").first()


def open_room(lot_id: int) -> Outcome:
    """Mark the room open at its opening time (bids are accepted by the rules from then on
    anyway); during an incident suspension the room opens suspended."""
    with transaction.atomic():
        room = _lock(lot_id)
        if room is None:
            return Outcome(lot_id, "no_room")
        if Lot.objects.filter(pk=lot_id, status=Lot.Status.CANCELLED).exists():
            return Outcome(lot_id, "cancelled")  # its notice was cancelled before the room opened
        if room.status != Room.Status.SCHEDULED:
            return Outcome(lot_id, "already")
        now = db_now()
        if now < room.opens_at:
            return Outcome(lot_id, "not_due", room.opens_at)
        room.status, room.opened_at, room.updated_at = Room.Status.OPEN, now, now
        room.save(update_fields=["status", "opened_at", "updated_at"])
        Lot.objects.filter(pk=lot_id, status=Lot.Status.SCHEDULED).update(status=Lot.Status.RUNNING)
        portal_cache.bump(room.lot.tender_id)  # an update() sends no signal
        suspension = active_suspension()
        if suspension is not None:
            _suspend_room(room, suspension)
        audit.record("auction.opened", room.lot)
        _publish_on_commit(lot_id)
    return Outcome(lot_id, "opened")


def close_ahead(lot_id: int) -> datetime | None:
    """The open room's closing time if it is still to come, read without the lock (else None). A close
    only ever moves later, so a job that finds it ahead goes back to the queue at once: it does not wait
    for the lot's lock behind the last minute's bids, nor settle the watchdog (every lot extended at
    the peak sends its first close job back so)."""
    rooms = Room.objects.filter(lot_id=lot_id, status=Room.Status.OPEN)
    closes_at = rooms.values_list("closes_at", flat=True).first()
    return closes_at if closes_at is not None and db_now() < closes_at else None


def close_room(lot_id: int) -> Outcome:
    """Close at the closing time, re-checked under the lock: ``not_due`` (with the new time) when
    the close moved, ``already`` when another worker closed it. Appends the final entry with the
    ranking and the winner; the lot is closed with a provisional winner, or unsuccessful. The caller
    records first any outage not recorded yet (``watchdog.settle``: it may suspend the lot or move its
    close), once for all the lots it closes: the close job and ``sweep`` do."""
    with transaction.atomic():
        room = _lock(lot_id)
        if room is None:
            return Outcome(lot_id, "no_room")
        if Lot.objects.filter(pk=lot_id, status=Lot.Status.CANCELLED).exists():
            return Outcome(lot_id, "cancelled")  # its notice was cancelled before the room opened
        if room.status == Room.Status.CLOSED:
            return Outcome(lot_id, "already")
        params, state = rules_of(room)
        if state.status == "suspended":
            return Outcome(lot_id, "suspended")
        now = db_now()
        if now < state.closes_at:
            return Outcome(lot_id, "not_due", state.closes_at)
        record_close(room, params, state, now)
        _publish_on_commit(lot_id)
        if params.practice:
            from seei.practice.tasks import practice_closed

            transaction.on_commit(lambda: practice_closed(lot_id))
        else:
            from seei.auctions.tasks import schedule_after_close

            schedule_after_close(lot_id)  # queued with the close: it exists exactly when the close commits
        log_close(room, now)
    return Outcome(lot_id, "closed")


def after_close(lot_id: int) -> bool:
    """What follows a real lot's committed close, off the clock's lane (``tasks.after_close``): everyone
    is told the outcome, an unsuccessful lot is a step of its notice (a closed one's is the award's),
    and the award starts. Only the close's entry and the log must be atomic with it; these are told
    or made once, whoever runs this and however often (the audit row ``auction.outcome_told``, and
    ``start_award``'s own lock). False when there is nothing (or nothing any more) to do."""
    with transaction.atomic():
        room = _lock(lot_id)
        if room is None or room.status != Room.Status.CLOSED or room.params.get("practice"):
            return False
        lot = Lot.objects.select_related("tender").get(pk=lot_id)
        told = audit.of("auction.outcome_told", lot).exists()
        if not told:
            params, state = rules_of(room)
            _tell_closed(lot, room, params, state, room.closed_at)
            audit.record("auction.outcome_told", lot)
            if lot.status == Lot.Status.UNSUCCESSFUL:  # no bid: a step of the notice (else the award's)
                ocds.step_happened(lot.tender_id)
    start_award_after_close(lot_id)
    return not told


def log_close(room: Room, at: datetime) -> None:
    """The final hash, in the public append-only log (real lots only): the last step of a close's
    transaction, as the log's lock serialises every close until its commit."""
    transparency.append(room, at)


def record_close(
    room: Room, params: rules.LotParams, state: rules.State, at: datetime
) -> tuple[Lot, rules.State]:
    """Append the final entry (ranking, winner) at ``at`` and settle the lot: closed with a provisional
    winner, or unsuccessful without any bid. The room must be locked and the close due; the caller
    then logs the close (``log_close``), last."""
    entry = ledger.Chain.close(_head(room), state, at)
    state = rules.close(params, state, at)
    _append(room, entry, state, at, status=Room.Status.CLOSED, closed_at=at)
    winner = state.winner()
    lot = Lot.objects.select_related("tender").get(pk=room.lot_id)
    lot.status = Lot.Status.CLOSED if winner else Lot.Status.UNSUCCESSFUL
    lot.save(update_fields=["status"])
    audit.record(
        "auction.closed",
        lot,
        winner=winner.bidder if winner else None,
        amount=rules.format_decimal(winner.amount) if winner else None,
        bids=len(state.bids),
        extensions=state.extensions,
        hash=entry["hash"],
    )
    return lot, state


def sweep() -> dict[str, int]:
    """Open and close whatever is due, in case a scheduled task was missed. Safe to run anywhere.
    An outage not recorded yet is recorded first (once, for every lot it closes)."""
    watchdog.settle()
    now = db_now()
    due = Room.objects.exclude(lot__status=Lot.Status.CANCELLED)  # a cancelled notice's rooms stay shut
    due_open = due.filter(status=Room.Status.SCHEDULED, opens_at__lte=now).values_list("lot_id", flat=True)
    opened = sum(open_room(lot_id).done for lot_id in list(due_open))
    due_close = due.filter(
        status__in=[Room.Status.SCHEDULED, Room.Status.OPEN], closes_at__lte=now
    ).values_list("lot_id", flat=True)
    closed = sum(close_room(lot_id).done for lot_id in list(due_close))
    return {"opened": opened, "closed": closed}


# Incident suspension ---------------------------------------------------------------------------------


def _require_administrator(membership) -> None:
    if membership is None or membership.role != Role.ADMINISTRATOR:
        raise PermissionDenied(_("Only a platform administrator can suspend or resume the auctions."))


def serialise_suspensions() -> None:
    """One suspension at a time, whoever clicks first (or the watchdog)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('seei.auctions.suspension'))")


def _suspend_room(room: Room, suspension: Suspension, at: datetime | None = None) -> bool:
    params, state = rules_of(room)
    at = db_now() if at is None else at
    try:
        suspended = rules.suspend(params, state, at)
    except rules.TransitionError:
        return False  # not open then (before its opening, or past its close): nothing to pause
    cause = suspension.cause if suspension.automatic else None
    _append(room, ledger.Chain.suspend(_head(room), at, cause), suspended, at, status=Room.Status.SUSPENDED)
    if suspension.pk is None:
        suspension.save()
    if room.lot_id not in suspension.lots:
        suspension.lots = [*suspension.lots, room.lot_id]
        suspension.save(update_fields=["lots"])
    return True


def suspend_all(membership, reason: str) -> Suspension:
    """Platform incident: pause every running room (a ledger entry each), tell everyone concerned."""
    _require_administrator(membership)
    reason = (reason or "").strip()
    if not reason:
        raise TenderError({"reason": [_("Give the reason for the suspension: it is told to every bidder.")]})
    with transaction.atomic():
        serialise_suspensions()
        if active_suspension() is not None:
            raise TenderError(_("The auctions are already suspended."))
        now = db_now()
        suspension = Suspension.objects.create(started_at=now, reason=reason, started_by=membership.user)
        running = Room.objects.filter(
            status__in=[Room.Status.SCHEDULED, Room.Status.OPEN], opens_at__lte=now, closes_at__gt=now
        ).values_list("lot_id", flat=True)
        for lot_id in list(running):
            room = _lock(lot_id)
            if room is not None and room.status != Room.Status.CLOSED and _suspend_room(room, suspension):
                _publish_on_commit(lot_id)
        audit.record(
            "auction.suspended",
            suspension,
            membership.user,
            membership.organisation,
            reason=reason,
            lots=suspension.lots,
        )
        _tell_everyone(
            suspension.lots,
            gettext_lazy("Auctions suspended: platform incident"),
            gettext_lazy(
                "The running auctions are suspended because of a platform incident: {reason}. "
                "No bid is accepted meanwhile; each auction gets back the time it had left when it resumes."
            ),
            reason=reason,
        )
    return suspension


def resume_all(membership) -> Suspension:
    """End the incident: every suspended room resumes with the time it had left (a ledger entry each).
    Past SEEI_SUSPENSION_MAX_HOURS the auctions cannot resume: they are to be cancelled and relaunched."""
    _require_administrator(membership)
    with transaction.atomic():
        serialise_suspensions()
        suspension = active_suspension()
        if suspension is None:
            raise TenderError(_("No suspension is in progress."))
        now = db_now()
        if now > suspension.resume_deadline:
            raise TenderError(
                _(
                    "These auctions have been suspended for more than %(hours)s hours: they cannot resume, "
                    "they must be cancelled and relaunched."
                )
                % {"hours": f"{settings.SEEI_SUSPENSION_MAX_HOURS:g}"}
            )
        suspension = Suspension.objects.select_for_update().get(pk=suspension.pk)
        resumed = _end_suspension(suspension, now, membership.user)
        audit.record("auction.resumed", suspension, membership.user, membership.organisation, lots=resumed)
        _tell_resumed(suspension)
    return suspension


def _end_suspension(suspension: Suspension, at: datetime, user: User | None) -> list[int]:
    """Every suspended room resumes at ``at`` with the time it had left; the suspension ends."""
    from seei.auctions import tasks

    resumed = []
    for lot_id in list(Room.objects.filter(status=Room.Status.SUSPENDED).values_list("lot_id", flat=True)):
        room = _lock(lot_id)
        params, state = rules_of(room)
        try:
            state = rules.resume(params, state, at)
        except (rules.TransitionError, ValueError):
            continue
        opened = {"opened_at": at} if room.opened_at is None else {}  # paused before its opening job ran
        _append(room, ledger.Chain.resume(_head(room), at), state, at, status=Room.Status.OPEN, **opened)
        # A room paused before its opening job ran is running now all the same.
        Lot.objects.filter(pk=lot_id, status=Lot.Status.SCHEDULED).update(status=Lot.Status.RUNNING)
        portal_cache.bump(room.lot.tender_id)  # an update() sends no signal
        tasks.schedule_close(lot_id, state.closes_at)
        resumed.append(lot_id)
        _publish_on_commit(lot_id)
    suspension.ended_at, suspension.ended_by = at, user
    suspension.save(update_fields=["ended_at", "ended_by"])
    return resumed


def _tell_resumed(suspension: Suspension) -> None:
    _tell_everyone(
        suspension.lots,
        gettext_lazy("Auctions resumed"),
        gettext_lazy(
            "The incident is over: the suspended auctions have resumed, each with the time it had left."
        ),
        administrators=suspension.automatic,
    )


# The suspensions of the watchdog (see watchdog.py), under the suspensions' lock ---------------------------


def _last_entry_at(room: Room) -> datetime:
    return LedgerEntry.objects.filter(room=room, seq=room.seq).values_list("at", flat=True).get()


def suspend_automatically(since: datetime, now: datetime, cause: str, *, resume: bool) -> Suspension | None:
    """No bid could be accepted since ``since``: every lot running then is suspended from the last moment
    it could take a bid (a ledger entry each, never before the chain's last one), and with ``resume``
    (the platform is back now, soon enough) resumed at ``now``: the outage recorded, each close moved by
    it. Practice auctions are left alone. None when no lot was running."""
    with translation.override("en"):
        reason = str(Suspension.Cause(cause).label)
    suspension = Suspension(started_at=since, reason=reason, automatic=True, cause=cause)
    running = (
        Room.objects.filter(
            status__in=[Room.Status.SCHEDULED, Room.Status.OPEN], opens_at__lte=now, closes_at__gt=since
        )
        .exclude(lot__tender__practice=True)
        .values_list("lot_id", flat=True)
    )
    starts = []
    for lot_id in list(running):
        room = _lock(lot_id)
        if room is None or room.status not in (Room.Status.SCHEDULED, Room.Status.OPEN):
            continue
        params, state = rules_of(room)
        at = watchdog.suspension_time(since, _last_entry_at(room), params.opens_at, state.closes_at)
        if at is not None and _suspend_room(room, suspension, at):
            starts.append(at)
            _publish_on_commit(lot_id)
    if not starts:
        return None
    suspension.started_at = min(starts)
    suspension.save(update_fields=["started_at"])
    if resume:
        _end_suspension(suspension, now, None)
    audit.record(
        "auction.suspended",
        suspension,
        automatic=True,
        cause=cause,
        since=rules.format_time(suspension.started_at),
        until=rules.format_time(now) if resume else None,
        lots=suspension.lots,
    )
    if resume:
        _tell_everyone(
            suspension.lots,
            gettext_lazy("Auctions suspended during an outage: {cause}"),
            gettext_lazy(
                "No bid could be accepted from {since} to {until} ({cause}): the running auctions were "
                "suspended for that time and have resumed, each with the time it had left, so their closing "
                "time moved by as much."
            ),
            administrators=True,
            cause=Suspension.Cause(cause).label,
            since=LocalTime(suspension.started_at),
            until=LocalTime(now),
        )
    else:
        _tell_everyone(
            suspension.lots,
            gettext_lazy("Auctions suspended automatically: {cause}"),
            gettext_lazy(
                "The running auctions suspended themselves on {since}: {cause}. No bid can be accepted "
                "meanwhile; each auction gets back the time it had left when it resumes."
            ),
            administrators=True,
            cause=Suspension.Cause(cause).label,
            since=LocalTime(suspension.started_at),
        )
    return suspension


def resume_automatically(now: datetime) -> Suspension | None:
    """The platform is back soon enough: the automatic suspension in force ends at ``now``."""
    suspension = active_suspension()
    if suspension is None or not suspension.automatic:
        return None
    suspension = Suspension.objects.select_for_update().get(pk=suspension.pk)
    resumed = _end_suspension(suspension, now, None)
    audit.record("auction.resumed", suspension, automatic=True, lots=resumed)
    _tell_resumed(suspension)
    return suspension


# Notifications ---------------------------------------------------------------------------------------


def _staff_users(tenders):
    """The buyer agents of these notices' buyers and the members of their commissions."""
    from seei.applications.models import CommissionMember

    buyers = User.objects.filter(
        is_active=True,
        memberships__role=Role.BUYER_AGENT,
        memberships__organisation__in=[tender.buyer_id for tender in tenders],
    )
    commission = User.objects.filter(
        is_active=True,
        memberships__in=CommissionMember.objects.filter(tender__in=tenders).values("membership"),
    )
    return [*buyers.distinct(), *commission.distinct()]


def _tell_everyone(lot_ids, subject, body, administrators: bool = False, **params) -> None:
    """The bidders and the buyers' people of these lots; with ``administrators`` the platform's too (an
    automatic suspension: someone must watch it)."""
    lots = list(Lot.objects.filter(pk__in=lot_ids).select_related("tender"))
    if not lots:
        return
    companies = Bidder.objects.filter(room__lot__in=lots).values("company")
    people = [*company_users(companies), *_staff_users({lot.tender for lot in lots})]
    if administrators:
        people += list(help_services.administrators())
    notify(people, subject, body, **params)


def _tell_closed(lot: Lot, room: Room, params: rules.LotParams, state: rules.State, at: datetime) -> None:
    tender = lot.tender
    url = reverse("portal:tender", args=[tender.pk])
    common = {
        "number": lot.number,
        "lot": lot.title,
        "reference": tender.reference,
        "closed_at": LocalTime(at),
    }
    subject = gettext_lazy("Auction closed: lot {number} of {reference}")
    ranking = state.ranking()
    for bidder in Bidder.objects.filter(room=room).select_related("company"):
        own = state.last_bids.get(bidder.pseudonym)
        if own is None:
            body = gettext_lazy(
                "The auction of lot {number} (“{lot}”) of notice {reference} closed on {closed_at}. "
                "Your company placed no bid."
            )
            extra = {}
        else:
            body = gettext_lazy(
                "The auction of lot {number} (“{lot}”) of notice {reference} closed on {closed_at}. "
                "Your final rank: {rank} of {ranked}, with your last bid of {amount}. The lowest price is the "
                "provisional winner; the award becomes final once the commission has checked its documents."
            )
            extra = {
                "rank": state.rank_of(bidder.pseudonym),
                "ranked": len(ranking),
                "amount": LocalAmount(own.amount, params.currency),
            }
        notify(company_users([bidder.company]), subject, body, url=url, **common, **extra)
    winner = state.winner()
    if winner is None:
        body = gettext_lazy(
            "The auction of lot {number} (“{lot}”) of notice {reference} closed on {closed_at} without any bid: "
            "the lot is unsuccessful."
        )
        extra = {}
    else:
        body = gettext_lazy(
            "The auction of lot {number} (“{lot}”) of notice {reference} closed on {closed_at} with {bids} bid(s) "
            "from {ranked} bidder(s). Provisional winner: {winner} at {amount}. Identities stay hidden until the "
            "award is final."
        )
        extra = {
            "bids": len(state.bids),
            "ranked": len(ranking),
            "winner": winner.bidder,
            "amount": LocalAmount(winner.amount, params.currency),
        }
    notify(_staff_users([tender]), subject, body, url=url, **common, **extra)
