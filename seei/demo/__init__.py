"""The demo's data, loaded in order by ``load()`` (``seei load_demo``); each module says what it loads:

- ``people``: the organisations (platform, buyers, an accountant post, companies), the accounts with
  their roles, and the companies' subscriptions;
- ``open_notices``: the notices open to applications, in several states, with their files;
- ``closed_auctions``: notices past their auction, with real ledgers, the demo companies bidding as
  the practice feature's simulated bidders;
- ``year_2016``: the programme's year 2016, whose statistics give back its published figures.

Idempotent: everything is looked up by a natural key first, so running it twice is fine. ``common``
holds what the loaders share (the accounts' password, how a person or a notice is made).
"""

from django.db import transaction

from seei.demo import closed_auctions, open_notices, people, year_2016
from seei.demo.common import DEMO_PASSWORD
from seei.ocds import publish as ocds

__all__ = ["DEMO_PASSWORD", "load"]


@transaction.atomic
def load() -> list[tuple[str, str]]:
    """Load (whatever is missing of) the demo; returns the demo accounts as (label, email)."""
    cast = people.load()
    open_notices.load(cast.agents)
    closed_auctions.load()
    year_2016.load()  # the programme's year 2016, to the cent
    ocds.sync_all()  # every step's OCDS release, the year 2016's included
    return cast.accounts
