"""The world the permission table is checked against: the ten kinds of people, and one procedure of the
same buyer at each stage, all at the same moment of the test clock (built once per module, committed,
so that the room's own connections see it too).

Every procedure is the buyer's (``buyer``); ``company`` applied to each (it wins the auctions),
``other_company`` never applied anywhere; ``commission`` sits on every commission of the buyer,
``other_commission`` is a commission member of the same buyer sitting on none; ``accountant``'s post
has the buyer's ministry in its perimeter, ``other_accountant``'s has another buyer only.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from tests.conftest import Client, item_values, lot_values, make_company, make_member

KINDS = (
    "anonymous",
    "company",
    "other_company",
    "buyer",
    "other_buyer",
    "commission",
    "other_commission",
    "accountant",
    "other_accountant",
    "administrator",
)

# The stages of a procedure that change who may do what, in the order a procedure goes through them.
STAGES = (
    "draft",  # the buyer prepares the notice: nobody else sees it
    "open",  # published, applications open (sealed as they come)
    "sealed",  # the deadline passed, the commission has not opened the applications yet
    "admitted",  # examination closed, bidders invited, the room not open yet
    "live",  # the room is open
    "closed",  # the room closed, the award waits for the winner's documents
    "awarded",  # the award is final: identities revealed, the accountant's visa and payments
)


@dataclass
class World:
    people: dict  # kind -> Membership (no entry for "anonymous")
    ids: dict  # stage -> {object name: primary key} of that stage's procedure (tender, lot, award…)
    common: dict = field(default_factory=dict)  # the objects no stage owns (the company's watch profile)
    clients: dict = field(default_factory=dict)  # kind -> logged-in django.test.Client
    tokens: dict = field(default_factory=dict)  # kind -> API token key
    room: object = None  # the room app's test client (Starlette)


def log_in(client: Client, membership) -> None:
    """The one way the tests sign a person in (where a second factor is required, it is satisfied here)."""
    client.force_login(membership.user)


def _people(category):
    from seei.accounts.models import Organisation
    from tests.awards.conftest import make_accountant

    ministry = Organisation.objects.create(kind="buyer", name="Ministère de la Santé", buyer_type="ministry")
    buyer_org = Organisation.objects.create(
        kind="buyer", name="Direction des Hôpitaux", buyer_type="public_body", parent=ministry
    )
    other_buyer_org = Organisation.objects.create(
        kind="buyer", name="Commune de Fès", buyer_type="local_authority"
    )
    platform = Organisation.objects.create(kind="platform", name="Trésorerie Générale")
    administrator = make_member("admin@tresor.gov.ma", platform, "administrator")
    administrator.user.is_staff = administrator.user.is_superuser = True
    administrator.user.save()
    return {
        "company": make_company("Atlas Médical SARL", "001234567000089", "contact@atlas-medical.ma"),
        "other_company": make_company("Sahara Equipements SA", "002345678000012", "contact@sahara-eq.ma"),
        "buyer": make_member("agent@sante.gov.ma", buyer_org, "buyer_agent"),
        "other_buyer": make_member("agent@fes.gov.ma", other_buyer_org, "buyer_agent"),
        "commission": make_member("commission@sante.gov.ma", buyer_org, "commission_member"),
        "other_commission": make_member("autre.commission@sante.gov.ma", buyer_org, "commission_member"),
        "accountant": make_accountant("Trésorerie de la Santé", "comptable@sante.gov.ma", [ministry]),
        "other_accountant": make_accountant("Perception de Fès", "comptable@fes.gov.ma", [other_buyer_org]),
        "administrator": administrator,
    }


def _notice(people, reference, category, region, now, *, opens_in, publish=True):
    from seei.applications.models import CommissionMember
    from seei.core.translated import make
    from seei.tenders import services
    from tests.awards.conftest import pdf_upload

    buyer = people["buyer"]
    tender = services.create_tender(
        buyer,
        {
            "reference": reference,
            "original_language": "fr",
            "title": make("fr", fr=f"Fauteuils roulants {reference}", en=f"Wheelchairs {reference}"),
            "object": make("fr", fr="Fourniture de fauteuils roulants"),
            "category": category,
            "region": region,
            "delivery_place": "Rabat",
            "currency": "MAD",
            "application_deadline": now + timedelta(days=11),
        },
    )
    lot = services.save_lot(buyer, tender, lot_values(now, opens_at=now + opens_in), [item_values()])
    document = services.add_document(buyer, tender, pdf_upload("cps.pdf"), "CPS")
    CommissionMember.objects.create(tender=tender, membership=people["commission"], is_president=True)
    ids = {"tender": tender.pk, "lot": lot.pk, "tender_document": document.pk}
    if publish:
        tender = services.publish(buyer, tender)
        question = services.ask_clarification(people["company"], tender, "Quelle garantie ?")
        ids["clarification"] = question.pk
    return tender, lot, ids


def _apply(people, tender, lot, ids):
    from seei.applications import services
    from tests.applications.conftest import documents

    receipt = services.apply(people["company"], tender, lots=[lot], documents=documents(), declaration=True)
    application = receipt.application
    ids.update(
        application=application.pk, receipt=receipt.pk, application_document=application.documents.first().pk
    )


def _admit(people, filler, lot):
    from seei.applications import services
    from seei.auctions import services as auctions
    from seei.core import clock
    from tests.auctions.conftest import admit

    admit(lot, [people["company"], filler], people["commission"])
    services._write_minutes(
        lot.tender, clock.now()
    )  # the admission minutes, as the examination's close writes them
    lot.refresh_from_db()
    return auctions.prepare_room(lot)


def _document_request(people, ids) -> int:
    """A document the commission asked the company for during the examination."""
    from seei.applications.models import DocumentRequest
    from seei.core import clock

    return DocumentRequest.objects.create(
        application_id=ids["application"],
        description="Attestation CNSS",
        deadline=clock.now() + timedelta(days=90),
        requested_by=people["commission"].user,
        requested_at=clock.now(),
    ).pk


def build(category, region) -> World:
    """The world, at the moment of the test clock it leaves set (everything committed by the caller)."""
    from seei.alerts.models import WatchProfile
    from seei.auctions import services as auctions
    from seei.auctions.models import LedgerEntry, Room
    from seei.awards import services as awards
    from seei.awards.models import Award
    from seei.core import clock
    from seei.ocds import publish as ocds
    from tests.awards.conftest import all_documents, place

    people = _people(category)
    filler = make_company("Rif Fournitures SARL", "003456789000034", "contact@rif-fournitures.ma")
    now = clock.now()
    ids = {}
    # Published now (deadline in 11 days); the rooms open in 14 days, the live one 2 hours later.
    built = {}
    for stage, opens_in in (
        ("sealed", timedelta(days=20)),
        ("admitted", timedelta(days=20)),
        ("live", timedelta(days=14, hours=2)),
        ("closed", timedelta(days=14)),
        ("awarded", timedelta(days=14)),
    ):
        tender, lot, stage_ids = _notice(
            people, f"PERM-{stage.upper()}", category, region, now, opens_in=opens_in
        )
        _apply(people, tender, lot, stage_ids)
        built[stage] = (tender, lot)
        ids[stage] = stage_ids
    clock.advance(timedelta(days=12))  # past the deadline
    for stage in ("admitted", "live", "closed", "awarded"):
        _admit(people, filler, built[stage][1])
        ids[stage]["document_request"] = _document_request(people, ids[stage])
    # The auctions of "closed" and "awarded": company bids lowest, the room closes.
    clock.advance(timedelta(days=2, seconds=1))
    for stage in ("closed", "awarded"):
        lot = built[stage][1]
        auctions.open_room(lot.pk)
        place(lot, filler, "595000", clock)
        place(lot, people["company"], "590000", clock)
    clock.advance(Room.objects.get(lot=built["closed"][1]).closes_at - clock.now() + timedelta(seconds=2))
    for stage in ("closed", "awarded"):
        lot = built[stage][1]
        assert auctions.close_room(lot.pk).status == "closed"
        award = awards.start_award(lot)
        ids[stage]["award"] = award.pk
        ids[stage]["bid_entry"] = LedgerEntry.objects.get(room__lot=lot, data__amount="590000.00").pk
    award = Award.objects.get(pk=ids["awarded"]["award"])
    step = awards.submit_documents(people["company"], award, all_documents(award))
    awards.confirm(people["commission"], award, 1)
    ids["awarded"]["award_document"] = step.documents.first().pk
    # The live room: open two hours after the others, now.
    clock.advance(built["live"][1].opens_at - clock.now() + timedelta(seconds=1))
    auctions.open_room(built["live"][1].pk)
    place(built["live"][1], filler, "595000", clock)
    # Made now: a draft, and a notice open to applications.
    now = clock.now()
    _tender, _lot, ids["draft"] = _notice(
        people, "PERM-DRAFT", category, region, now, opens_in=timedelta(days=14), publish=False
    )
    tender, lot, ids["open"] = _notice(
        people, "PERM-OPEN", category, region, now, opens_in=timedelta(days=14)
    )
    _apply(people, tender, lot, ids["open"])
    profile = WatchProfile.objects.create(company=people["company"].organisation, name="Santé")
    ocds.sync_all()
    return World(people=people, ids=ids, common={"profile": profile.pk, "size": 1})
