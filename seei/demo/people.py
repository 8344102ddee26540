"""The demo's organisations and people: the platform, the buyers, an accountant post, the companies,
their accounts with their roles, and the companies' watch profiles (their categories)."""

from dataclasses import dataclass

from seei.accounts.models import Membership, Organisation, Role
from seei.accounts.twofactor import services as second_factor
from seei.alerts.models import WatchProfile
from seei.demo.common import org, person
from seei.tenders.models import Category

# name, ICE, RC, city, country, foreign registration; the account's email and first name; categories.
COMPANIES = [
    (
        "Atlas Médical SARL",
        "001524873000061",
        "RC-CASA-98321",
        "Casablanca",
        "MA",
        "",
        "contact@atlas-medical.ma",
        "Omar",
        ["04", "05"],
    ),
    (
        "Sahara Équipements SA",
        "002118934000047",
        "RC-MARR-44120",
        "Marrakech",
        "MA",
        "",
        "contact@sahara-equipements.ma",
        "Leila",
        ["04", "03"],
    ),
    (
        "Rif Distribution SARL",
        "001987654000032",
        "RC-TNG-77310",
        "Tanger",
        "MA",
        "",
        "contact@rif-distribution.ma",
        "Rachid",
        ["06", "09"],
    ),
    (
        "Maghreb Bureautique SA",
        "002334455000019",
        "RC-RABAT-11802",
        "Rabat",
        "MA",
        "",
        "contact@maghreb-bureautique.ma",
        "Imane",
        ["01", "02", "03"],
    ),
    (
        "Charbonnages Méditerranée SAS",
        None,
        "",
        "Marseille",
        "FR",
        "FR-RCS-812345678",
        "contact@charbonnages-med.fr",
        "Pierre",
        ["06"],
    ),
]


@dataclass(frozen=True)
class People:
    accounts: list[tuple[str, str]]  # (label, email), in the order load_demo prints them
    agents: dict[str, Membership]  # the buyer agents, by email


def company_organisation(name: str) -> Organisation:
    """A demo company, created if missing (looked up by name)."""
    ice, rc, city, country, registration = next(row[1:6] for row in COMPANIES if row[0] == name)
    return Organisation.objects.filter(name=name, kind="company").first() or Organisation.objects.create(
        name=name,
        kind="company",
        ice=ice,
        rc=rc,
        city=city,
        country=country,
        national_registration=registration,
    )


def company_member(name: str) -> Membership:
    """The account of a demo company (the company and the account created if missing)."""
    email, first = next(row[6:8] for row in COMPANIES if row[0] == name)
    return person(email, company_organisation(name), Role.COMPANY_MEMBER, first, "Demo")


def load() -> People:
    platform = org("Trésorerie Générale du Royaume — Plateforme SEEI", Organisation.Kind.PLATFORM)
    health = org("Ministère de la Santé", "buyer", buyer_type="ministry", city="Rabat")
    hospitals = org(
        "Direction des Hôpitaux et des Soins Ambulatoires",
        "buyer",
        buyer_type="public_body",
        parent=health,
        city="Rabat",
    )
    energy = org(
        "Office National de l'Électricité et de l'Eau Potable",
        "buyer",
        buyer_type="public_body",
        city="Casablanca",
    )
    casablanca = org("Commune de Casablanca", "buyer", buyer_type="local_authority", city="Casablanca")
    education = org("Ministère de l'Éducation Nationale", "buyer", buyer_type="ministry", city="Rabat")
    post = org("Trésorerie Ministérielle de la Santé", Organisation.Kind.ACCOUNTANT_POST, city="Rabat")
    post.perimeter.add(health, hospitals)

    company_orgs = [company_organisation(row[0]) for row in COMPANIES]

    accounts = []
    agents = {}

    def account(label, email, organisation, role, first, last, **extra):
        membership = person(email, organisation, role, first, last, **extra)
        accounts.append((label, email))
        if second_factor.required_for(membership.user):  # the published demo authenticator
            second_factor.enrol_demo(membership.user)
        if role == Role.BUYER_AGENT:
            agents[email] = membership
        return membership

    account(
        "Platform administrator",
        "admin@seei.example",
        platform,
        Role.ADMINISTRATOR,
        "Admin",
        "SEEI",
        staff=True,
    )
    hospitals_agent = account(
        "Buyer agent (hospitals)", "acheteur@sante.gov.ma", hospitals, Role.BUYER_AGENT, "Amina", "El Idrissi"
    )
    # The hospitals' directorate manages its own agents and commission members, through Amina.
    Organisation.objects.filter(pk=hospitals.pk).update(members_managed_locally=True)
    Membership.objects.filter(pk=hospitals_agent.pk).update(is_manager=True)
    account("Buyer agent (energy)", "acheteur@onee.ma", energy, Role.BUYER_AGENT, "Karim", "Benjelloun")
    account(
        "Buyer agent (Casablanca)",
        "acheteur@casablanca.ma",
        casablanca,
        Role.BUYER_AGENT,
        "Salma",
        "Bennani",
        language="ar",
    )
    account(
        "Buyer agent (education)",
        "acheteur@men.gov.ma",
        education,
        Role.BUYER_AGENT,
        "Youssef",
        "Alaoui",
        language="en",
    )
    account(
        "Commission member", "commission@sante.gov.ma", hospitals, Role.COMMISSION_MEMBER, "Nadia", "Tazi"
    )
    account("Accountant", "comptable@tgr.gov.ma", post, Role.ACCOUNTANT, "Hicham", "Berrada")
    for organisation, row in zip(company_orgs, COMPANIES, strict=True):
        email, first = row[6:8]
        member = account(
            f"Company ({organisation.name})", email, organisation, Role.COMPANY_MEMBER, first, "Demo"
        )
        Membership.objects.filter(pk=member.pk).update(is_manager=True)  # each company manages its people

    for organisation, row in zip(company_orgs, COMPANIES, strict=True):
        profile, _ = WatchProfile.objects.get_or_create(company=organisation, name="Mes catégories")
        profile.categories.set(Category.objects.filter(code__in=row[8]))
    return People(accounts=accounts, agents=agents)
