"""Demo closed auctions, with real ledgers: every bid went through the rules, at its own time.

``load()`` creates (once) a few notices already past their auction: published, applied to,
examined, their room frozen (genesis), then bid on by simulated companies, each down to a floor
price it will not go under, through ``rules.allowed_range`` and ``services.record_bid`` (so
``rules.apply_bid`` decides every bid), a flurry in the last minutes moving the close, and the
close written by the same function as the worker's. ``seei verify`` accepts each published ledger.

Idempotent: a notice that exists already is left as it is. Called by ``seei.demo.load()``.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from seei import demo as base
from seei.accounts.models import Membership, Organisation, Role
from seei.applications.models import Application, CommissionMember, Decision, Examination, Invitation
from seei.auctions import rules, services
from seei.auctions.models import Room
from seei.core import clock
from seei.core.translated import make
from seei.tenders.models import Lot, Tender

# The demo companies of seei.demo (looked up by name; created here if that demo did not run first).
COMPANIES = {
    "Atlas Médical SARL": ("001524873000061", "contact@atlas-medical.ma", "Omar"),
    "Sahara Équipements SA": ("002118934000047", "contact@sahara-equipements.ma", "Leila"),
    "Rif Distribution SARL": ("001987654000032", "contact@rif-distribution.ma", "Rachid"),
    "Maghreb Bureautique SA": ("002334455000019", "contact@maghreb-bureautique.ma", "Imane"),
}


@dataclass(frozen=True)
class DemoAuction:
    reference: str
    buyer: str  # email of the buyer agent (seei.demo's)
    commission: str  # email of the commission member (created if missing)
    category: str
    region: str
    title: tuple[str, str]  # French, English
    obj: tuple[str, str]
    item: tuple[str, str, str, str, str, str]  # designation fr/en, specification fr/en, quantity, unit
    estimate: str
    floors: dict  # company name -> the lowest price it will offer
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
        days_ago=12,
        seed=4,
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
        days_ago=5,
        seed=9,
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
        days_ago=40,
        seed=16,
        params=(("min_decrement", Decimal("1")), ("max_decrement", Decimal("10")), ("duration_minutes", 45)),
    ),
]


def _company(name: str) -> Membership:
    ice, email, first = COMPANIES[name]
    organisation = Organisation.objects.filter(name=name, kind="company").first()
    if organisation is None:
        organisation = Organisation.objects.create(name=name, kind="company", ice=ice, city="Casablanca")
    return base._person(email, organisation, Role.COMPANY_MEMBER, first, "Demo")


def _buyer(email: str) -> Membership:
    membership = Membership.objects.filter(user__email=email, role=Role.BUYER_AGENT).first()
    if membership is not None:
        return membership
    organisation = base._org(
        "Direction des Hôpitaux et des Soins Ambulatoires", "buyer", buyer_type="public_body"
    )
    return base._person(email, organisation, Role.BUYER_AGENT, "Amina", "El Idrissi")


def _opening(days_ago: int) -> datetime:
    """10:00 local time, ``days_ago`` days ago."""
    day = timezone.localtime(clock.now()).date() - timedelta(days=days_ago)
    return timezone.make_aware(datetime(day.year, day.month, day.day, 10, 0))


def _notice(spec: DemoAuction, agent: Membership) -> Tender:
    lot = base._lot(
        clock.now(), spec.title[0], spec.title[1], spec.estimate, [spec.item], days=14, **dict(spec.params)
    )
    tender, _created = base._tender(
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


def _bid_until_nobody_goes_lower(room: Room, floors: dict[str, Decimal], rng: random.Random) -> rules.State:
    """``floors``: pseudonym -> floor, in a fixed order (the draws must not depend on the random
    pseudonyms, so that a demo auction always plays the same way). Bidders take turns undercutting the best price, each down to its floor: cautious steps spread
    over the auction, then a fight in the last minutes, where every bid moves the close."""
    params, state = services.rules_of(room)
    at = params.opens_at + timedelta(seconds=rng.randint(40, 120))
    # Everyone opens with a first bid a few steps under the starting price.
    for pseudonym in rng.sample(list(floors), len(floors)):
        amount = (params.starting_price - rng.randint(1, 4) * params.min_step).quantize(params.unit)
        result = services.record_bid(room, pseudonym, max(amount, floors[pseudonym]), at)
        state = result.state if result.ok else state
        at += timedelta(seconds=rng.randint(20, 90))
    done: set[str] = set()
    while at < state.closes_at:
        best = state.best()
        candidates = [p for p in floors if p not in done and best.bidder != p and floors[p] < best.amount]
        if not candidates:
            break
        pseudonym = rng.choice(candidates)
        fight = state.closes_at - at <= timedelta(minutes=4)
        if fight:  # big drops while far from its floor, the minimum step when close to it
            share = Decimal(rng.uniform(0.15, 0.35))
            step = max(rng.randint(1, 3) * params.min_step, (best.amount - floors[pseudonym]) * share)
        else:
            step = rng.randint(1, 2) * params.min_step
        lowest, highest = rules.allowed_range(params, state, pseudonym)
        amount = min(max(best.amount - step, lowest, floors[pseudonym]), highest).quantize(params.unit)
        if amount == best.amount:  # its largest drop only reaches the best price: a cent above it
            amount += params.unit
        if amount > highest or amount < floors[pseudonym]:
            done.add(pseudonym)  # it cannot go lower
            continue
        result = services.record_bid(room, pseudonym, amount, at)
        if result.ok:
            state = result.state
        else:
            done.add(pseudonym)
        at += timedelta(seconds=rng.randint(10, 60) if fight else rng.randint(90, 300))
    return state


def _run(spec: DemoAuction) -> Room | None:
    if Tender.objects.filter(reference=spec.reference).exists():
        return None
    agent = _buyer(spec.buyer)
    commission = base._person(spec.commission, agent.organisation, Role.COMMISSION_MEMBER, "Nadia", "Tazi")
    companies = [_company(name) for name in spec.floors]
    tender = _notice(spec, agent)
    lot = tender.lots.get()
    frozen_at = _admit(tender, lot, companies, commission)
    room = services.create_room(lot, [member.organisation for member in companies], frozen_at)
    room = Room.objects.select_for_update().get(pk=room.pk)
    room.status, room.opened_at = Room.Status.OPEN, room.opens_at
    room.save(update_fields=["status", "opened_at"])
    pseudonym_of = dict(room.bidders.values_list("company__name", "pseudonym"))
    floors = {pseudonym_of[name]: Decimal(amount) for name, amount in spec.floors.items()}
    state = _bid_until_nobody_goes_lower(room, floors, random.Random(spec.seed))
    room.refresh_from_db()
    params = rules.LotParams.from_dict(room.params)
    services.record_close(room, params, state, state.closes_at + timedelta(seconds=2))
    return room


@transaction.atomic
def load() -> list[Room]:
    """Create the demo closed auctions that do not exist yet; returns the rooms created."""
    return [room for room in (_run(spec) for spec in AUCTIONS) if room is not None]
