"""The demo's closed auctions: notices already past their auction, with real ledgers.

``load()`` creates (once) a few notices published, applied to and examined, their room frozen
(genesis) and opened days ago, then bid on by the demo companies as the practice feature's simulated
bidders (``seei.practice.styles``): each company has a style and a floor price it will not go under,
and bids at its style's pace on a simulated clock, through ``rules.allowed_range`` and
``services.record_bid`` (so ``rules.apply_bid`` decides every bid); the close is written by the same
function as the worker's. ``seei verify`` accepts each published ledger.

Idempotent: a notice that exists already is left as it is. Called by ``seei.demo.load()``.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from seei.accounts.models import Membership, Role
from seei.applications.models import Application, CommissionMember, Decision, Examination, Invitation
from seei.auctions import rules, services
from seei.auctions.models import Room
from seei.core import clock
from seei.core.translated import make
from seei.demo import common, people
from seei.practice import styles
from seei.tenders.models import Lot, Tender


@dataclass(frozen=True)
class DemoAuction:
    reference: str
    buyer: str  # email of the buyer agent (people.py's)
    commission: str  # email of the commission member (created if missing)
    category: str
    region: str
    title: tuple[str, str]  # French, English
    obj: tuple[str, str]
    item: tuple[str, str, str, str, str, str]  # designation fr/en, specification fr/en, quantity, unit
    estimate: str
    floors: dict  # company name (people.COMPANIES) -> the lowest price it will offer
    styles: dict  # company name -> how it bids (one of seei.practice.styles.STYLES)
    days_ago: int  # when the room opened
    currency: str = "MAD"
    seed: int = 1
    params: tuple = ()  # lot fields, as (name, value) pairs


AUCTIONS = [
    DemoAuction(
        reference="AO-DHSA-2026-004",
        buyer="acheteur@sante.gov.ma",
        commission="commission@sante.gov.ma",
        category="04",
        region="MA-04",
        title=("Lits médicalisés pour les CHR", "Hospital beds for the regional hospitals"),
        obj=(
            "Fourniture de lits médicalisés électriques pour les centres hospitaliers régionaux",
            "Supply of electric hospital beds for the regional hospital centres",
        ),
        item=(
            "Lit médicalisé électrique",
            "Electric hospital bed",
            "Trois fonctions, relève-buste et relève-jambes, charge 200 kg",
            "Three functions, back and leg rests, 200 kg load",
            "250",
            "unité",
        ),
        estimate="1250000.00",
        floors={
            "Atlas Médical SARL": "1012500.00",
            "Sahara Équipements SA": "1031000.00",
            "Rif Distribution SARL": "1090000.00",
            "Maghreb Bureautique SA": "1160000.00",
        },
        styles={
            "Atlas Médical SARL": "last_minute",
            "Sahara Équipements SA": "steady",
            "Rif Distribution SARL": "last_minute",
            "Maghreb Bureautique SA": "aggressive",
        },
        days_ago=12,
        seed=17,
    ),
    DemoAuction(
        reference="AO-CASA-2026-009",
        buyer="acheteur@casablanca.ma",
        commission="commission@casablanca.ma",
        category="01",
        region="MA-06",
        title=("Papier et consommables de bureau", "Paper and office consumables"),
        obj=(
            "Fourniture de ramettes de papier et de consommables pour les arrondissements",
            "Supply of paper reams and consumables for the districts",
        ),
        item=(
            "Ramette de papier A4 80 g",
            "A4 80 g paper ream",
            "500 feuilles, blancheur CIE 161, certifié FSC",
            "500 sheets, CIE whiteness 161, FSC certified",
            "40000",
            "ramette",
        ),
        estimate="380000.00",
        floors={
            "Maghreb Bureautique SA": "301250.00",
            "Rif Distribution SARL": "309900.00",
            "Atlas Médical SARL": "335000.00",
        },
        styles={
            "Maghreb Bureautique SA": "last_minute",
            "Rif Distribution SARL": "steady",
            "Atlas Médical SARL": "hesitant",
        },
        days_ago=5,
        seed=15,
        params=(("visibility", "all"), ("extension_cap", 3), ("only_lead_change_extends", True)),
    ),
    DemoAuction(
        # The programme's record: estimated US$ 603,846.00, awarded US$ 274,003.20 (54.63 % saved).
        reference="AO-DHSA-2025-087",
        buyer="acheteur@sante.gov.ma",
        commission="commission@sante.gov.ma",
        category="04",
        region="MA-04",
        title=("Fauteuils roulants (programme 2025)", "Wheelchairs (2025 programme)"),
        obj=(
            "Acquisition de fauteuils roulants pour les centres de rééducation",
            "Purchase of wheelchairs for the rehabilitation centres",
        ),
        item=(
            "Fauteuil roulant manuel pliable",
            "Folding manual wheelchair",
            "Châssis aluminium, assise 45 cm, charge 120 kg",
            "Aluminium frame, 45 cm seat, 120 kg load",
            "1200",
            "unité",
        ),
        estimate="603846.00",
        currency="USD",
        floors={
            "Sahara Équipements SA": "274003.20",
            "Atlas Médical SARL": "276800.00",
            "Rif Distribution SARL": "298000.00",
            "Maghreb Bureautique SA": "330000.00",
        },
        styles={
            "Sahara Équipements SA": "steady",
            "Atlas Médical SARL": "steady",
            "Rif Distribution SARL": "last_minute",
            "Maghreb Bureautique SA": "hesitant",
        },
        days_ago=40,
        seed=6,
        params=(("min_decrement", Decimal("1")), ("max_decrement", Decimal("10")), ("duration_minutes", 45)),
    ),
]


def _buyer(email: str) -> Membership:
    membership = Membership.objects.filter(user__email=email, role=Role.BUYER_AGENT).first()
    if membership is not None:
        return membership
    organisation = common.org(
        "Direction des Hôpitaux et des Soins Ambulatoires", "buyer", buyer_type="public_body"
    )
    return common.person(email, organisation, Role.BUYER_AGENT, "Amina", "El Idrissi")


def _opening(days_ago: int) -> datetime:
    """10:00 local time, ``days_ago`` days ago."""
    day = clock.today() - timedelta(days=days_ago)
    return timezone.make_aware(datetime(day.year, day.month, day.day, 10, 0))


def _notice(spec: DemoAuction, agent: Membership) -> Tender:
    lot = common.lot(
        clock.now(), spec.title[0], spec.title[1], spec.estimate, [spec.item], days=14, **dict(spec.params)
    )
    tender, _created = common.tender(
        agent,
        spec.reference,
        spec.category,
        spec.region,
        make("fr", fr=spec.title[0], en=spec.title[1]),
        make("fr", fr=spec.obj[0], en=spec.obj[1]),
        [lot],
        currency=spec.currency,
    )
    # Move the notice to its past: published, its deadline passed, its room opened days ago.
    opens_at = _opening(spec.days_ago)
    deadline = opens_at - timedelta(days=7)
    Tender.objects.filter(pk=tender.pk).update(
        published_at=deadline - timedelta(days=15), application_deadline=deadline
    )
    tender.lots.update(opens_at=opens_at)
    tender.refresh_from_db()
    return tender


def _admit(tender: Tender, lot: Lot, companies: list[Membership], commission: Membership) -> datetime:
    """Phase 1 as it went: applications before the deadline, the examination, the invitations."""
    deadline = tender.application_deadline
    CommissionMember.objects.get_or_create(
        tender=tender, membership=commission, defaults={"is_president": True}
    )
    for number, member in enumerate(companies):
        submitted = deadline - timedelta(days=3, hours=number)
        application = Application.objects.create(
            tender=tender,
            company=member.organisation,
            submitted_by=member.user,
            submitted_at=submitted,
            updated_at=submitted,
            declaration=True,
        )
        application.lots.add(lot)
    closed_at = deadline + timedelta(days=1, hours=2)
    Examination.objects.create(
        tender=tender,
        opened_at=deadline + timedelta(hours=1),
        opened_by=commission.user,
        closed_at=closed_at,
        closed_by=commission.user,
    )
    for application in Application.objects.filter(tender=tender):
        Decision.objects.create(
            application=application,
            lot=lot,
            outcome=Decision.Outcome.ADMITTED,
            decided_by=commission.user,
            decided_at=closed_at - timedelta(minutes=30),
        )
        Invitation.objects.create(
            lot=lot, company=application.company, opens_at=lot.opens_at, sent_at=closed_at
        )
    return closed_at


# The styles pace a practice auction of five minutes; a demo auction lasts 30 or 45. Each company sees
# the demo's clock slowed down to its auction's length: the time left divided by it, its waits times it.
STYLES_PACE = timedelta(minutes=5)

# A rival's move, recorded: (pseudonym, amount, at) -> the rules' decision (services.record_bid's).
Record = Callable[[str, Decimal, datetime], rules.Accepted | rules.Refused]


def play(
    params: rules.LotParams,
    state: rules.State,
    bidders: list[tuple[str, str, Decimal]],
    rng: random.Random,
    record: Record,
) -> rules.State:
    """The auction until its close (extensions included); returns the state at the close.

    ``bidders``: (pseudonym, style, floor), in a fixed order (the draws must not depend on the random
    pseudonyms, so that a demo auction always plays the same way). Every company enters in the first
    minutes, one after the other, with an opening price a few steps under the starting price; from then
    on the one whose next look comes first acts at that time, as its style says (``styles.next_move``),
    until the close. Pure: ``record`` writes the bid (or, in a simulation, only applies the rules).
    """
    slow = (params.closes_at - params.opens_at) / STYLES_PACE
    style_of = {pseudonym: (style, floor) for pseudonym, style, floor in bidders}
    order = [pseudonym for pseudonym, _style, _floor in bidders]
    at = params.opens_at + timedelta(seconds=rng.randint(40, 120))
    next_look, opening = {}, {}
    for pseudonym, _style, floor in rng.sample(bidders, len(bidders)):
        amount = (params.starting_price - rng.randint(1, 4) * params.min_step).quantize(params.unit)
        next_look[pseudonym], opening[pseudonym] = at, max(amount, floor)
        at += timedelta(seconds=rng.randint(20, 90))
    while True:
        pseudonym = min(order, key=lambda each: next_look[each])
        now = next_look[pseudonym]
        if now >= state.closes_at:
            return state
        style, floor = style_of[pseudonym]
        if pseudonym in opening:  # its first look: it enters the room
            amount, wait = opening.pop(pseudonym), timedelta(seconds=rng.randint(20, 90))
        else:
            move = styles.next_move(style, _seen(params, state, pseudonym, floor, now, slow), rng)
            amount, wait = move.amount, move.wait * slow
        if amount is not None:
            result = record(pseudonym, amount, now)
            state = result.state if result.ok else state
        next_look[pseudonym] = now + wait


def _seen(
    params: rules.LotParams, state: rules.State, pseudonym: str, floor: Decimal, now: datetime, slow: float
) -> styles.Situation:
    """What the company sees (as the practice's rivals do), on the slowed-down clock."""
    return styles.seen_by(params, state, pseudonym, floor, now, now + (state.closes_at - now) / slow)


def _run(spec: DemoAuction) -> Room | None:
    if Tender.objects.filter(reference=spec.reference).exists():
        return None
    agent = _buyer(spec.buyer)
    commission = common.person(spec.commission, agent.organisation, Role.COMMISSION_MEMBER, "Nadia", "Tazi")
    companies = [people.company_member(name) for name in spec.floors]
    tender = _notice(spec, agent)
    lot = tender.lots.get()
    frozen_at = _admit(tender, lot, companies, commission)
    room = services.create_room(lot, [member.organisation for member in companies], frozen_at)
    room = Room.objects.select_for_update().get(pk=room.pk)
    room.status, room.opened_at = Room.Status.OPEN, room.opens_at
    room.save(update_fields=["status", "opened_at"])
    pseudonym_of = dict(room.bidders.values_list("company__name", "pseudonym"))
    bidders = [(pseudonym_of[name], spec.styles[name], Decimal(floor)) for name, floor in spec.floors.items()]
    params, state = services.rules_of(room)
    state = play(
        params,
        state,
        bidders,
        random.Random(spec.seed),
        lambda pseudonym, amount, at: services.record_bid(room, pseudonym, amount, at),
    )
    room.refresh_from_db()
    closed_at = state.closes_at + timedelta(seconds=2)
    services.record_close(room, params, state, closed_at)
    services.log_close(room, closed_at)
    return room


@transaction.atomic
def load() -> list[Room]:
    """Create the demo closed auctions that do not exist yet; returns the rooms created."""
    return [room for room in (_run(spec) for spec in AUCTIONS) if room is not None]
