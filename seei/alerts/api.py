"""The company's watch profiles and its person's notifications, in the JSON API.

Thin operations: codes and ids become objects here, ``seei.alerts.profiles`` checks and saves (400
with its messages), the same as the page does.
"""

from decimal import Decimal
from typing import Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from seei.accounts.models import Organisation
from seei.alerts import profiles
from seei.alerts.models import WatchProfile
from seei.api.auth import AUTH
from seei.api.schemas import Amount, Input
from seei.core import clock
from seei.tenders.models import Category, Currency, Region

router = Router(tags=["watch"])
AS_SOMEONE = {"auth": AUTH}


class WatchProfileIn(Input):
    name: str = Field(max_length=100)
    categories: list[str] = Field([], description="Category codes; a category includes its sub-categories.")
    regions: list[str] = Field([], description="Region codes.")
    buyers: list[int] = Field([], description="Buyer organisation ids; a ministry includes its directorates.")
    keywords: str = Field(
        "", max_length=200, description="Searched as the portal's search does, in every language."
    )
    currency: Literal[tuple(Currency.values)] | None = Field(
        None, description="Required with an amount range."
    )
    amount_min: Amount | None = Field(None, description="Of the notice's estimated total, all lots.")
    amount_max: Amount | None = None
    frequency: Literal[tuple(WatchProfile.Frequency.values)] = WatchProfile.Frequency.IMMEDIATE.value


class WatchProfileOut(Schema):
    id: int
    name: str
    categories: list[str]
    regions: list[str]
    buyers: list[int]
    keywords: str
    currency: str | None
    amount_min: Decimal | None
    amount_max: Decimal | None
    frequency: str

    @staticmethod
    def resolve_categories(obj) -> list[str]:
        return [category.code for category in obj.categories.all()]

    @staticmethod
    def resolve_regions(obj) -> list[str]:
        return [region.code for region in obj.regions.all()]

    @staticmethod
    def resolve_buyers(obj) -> list[int]:
        return [buyer.pk for buyer in obj.buyers.all()]

    @staticmethod
    def resolve_currency(obj) -> str | None:
        return obj.currency or None


class NotificationOut(Schema):
    id: int
    subject: str
    body: str
    url: str = Field(description="Path of the page it is about, if any.")
    created_at: str
    read: bool

    @staticmethod
    def resolve_created_at(obj) -> str:
        return obj.created_at.isoformat()

    @staticmethod
    def resolve_read(obj) -> bool:
        return obj.read_at is not None


class NotificationsOut(Schema):
    unread: int = Field(description="How many of the person's notifications are unread.")
    items: list[NotificationOut]


class NotificationFilters(Input):
    limit: int = Field(settings.PAGE_SIZE, ge=1, le=100)
    mark_read: bool = Field(False, description="Mark the notifications returned as read.")


def _values(payload: WatchProfileIn) -> dict:
    """Codes and ids as the objects they name; every unknown one is an error on its field."""
    data = payload.dict()
    errors = {}
    found = {
        "categories": (Category.objects.filter(code__in=data["categories"]), "code"),
        "regions": (Region.objects.filter(code__in=data["regions"]), "code"),
        "buyers": (Organisation.objects.filter(kind=Organisation.Kind.BUYER, pk__in=data["buyers"]), "pk"),
    }
    for name, (queryset, key) in found.items():
        objects = {getattr(obj, key): obj for obj in queryset}
        unknown = [value for value in data[name] if value not in objects]
        if unknown:
            message = _("Unknown code “%(code)s”.") if key == "code" else _("No buyer has the id %(code)s.")
            errors[name] = [message % {"code": value} for value in unknown]
        data[name] = list(objects.values())
    if errors:
        raise ValidationError(errors)
    return data


@router.get("/watch-profiles", response={200: list[WatchProfileOut]}, **AS_SOMEONE)
def list_profiles(request):
    """The watch profiles of the company (a company member's token)."""
    return profiles.company_profiles(request.auth)


@router.post("/watch-profiles", response={201: WatchProfileOut}, **AS_SOMEONE)
def create_profile(request, payload: WatchProfileIn):
    """A new watch profile: new notices it matches are alerted, at once or in a daily digest."""
    return Status(201, profiles.save_profile(request.auth, _values(payload)))


@router.get("/watch-profiles/{profile_id}", response={200: WatchProfileOut}, **AS_SOMEONE)
def get_profile(request, profile_id: int):
    return profiles.company_profile(request.auth, profile_id)


@router.put("/watch-profiles/{profile_id}", response={200: WatchProfileOut}, **AS_SOMEONE)
def replace_profile(request, profile_id: int, payload: WatchProfileIn):
    """Replace a watch profile, every criterion included."""
    return profiles.save_profile(request.auth, _values(payload), profile_id)


@router.delete("/watch-profiles/{profile_id}", response={204: None}, **AS_SOMEONE)
def delete_profile(request, profile_id: int):
    profiles.delete_profile(request.auth, profile_id)
    return Status(204, None)


@router.get("/notifications", response={200: NotificationsOut}, **AS_SOMEONE)
def list_notifications(request, filters: Query[NotificationFilters]):
    """The person's latest notifications, newest first, with the number still unread."""
    user = request.auth.user
    items = list(user.notifications.all()[: filters.limit])
    if filters.mark_read:
        user.notifications.filter(pk__in=[n.pk for n in items], read_at=None).update(read_at=clock.now())
    unread = user.notifications.filter(read_at=None).count()
    return {"unread": unread, "items": items}
