"""The red-flags page, the notice's and the result's includes, and ``GET /api/v1/red-flags``."""

from decimal import Decimal

import pytest
from django.urls import reverse

from seei.redflags import rules
from tests.api.conftest import ApiClient
from tests.redflags.conftest import auction, examine, make_lot


@pytest.fixture
def flagged(notice, lot, companies):
    """Lot 1: final, far below the estimate, two identical prices; lot 2: provisional award."""
    a, b, c, d, e = companies
    examine(lot, admitted=[a, b, c], excluded=[d, e])
    auction(lot, {a: "40000.00", b: "90000.00", c: "90000.00"})
    provisional = make_lot(notice, number=2)
    auction(provisional, {d: "30000.00", e: "80000.00"}, award="provisional")
    return notice


def test_the_public_page_lists_the_flags_of_a_year_with_rule_and_figures(client, flagged):
    response = client.get(reverse("redflags:list"), {"year": 2016})

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('data-testid="red-flag"') == 3  # R058 and R028 on lot 1, R058 on lot 2
    assert 'data-code="R058"' in page and 'data-code="R028"' in page
    assert "Heavily discounted bid" in page and 'below the estimate (%): <span dir="ltr">60.00' in page
    assert reverse("awards:result", args=[flagged.lots.get(number=1).pk]) in page


def test_the_page_filters_by_flag_region_and_buyer(client, flagged, other_buyer_org):
    def count(**params):
        page = client.get(reverse("redflags:list"), {"year": 2016, **params}).content.decode()
        return page.count('data-testid="red-flag"')

    assert count(flag="R028") == 1
    assert count(flag="R018") == 0
    assert count(region="T-01") == 3
    assert count(buyer=flagged.buyer.parent_id) == 3  # a ministry sees its directorates' flags
    assert count(buyer=other_buyer_org.pk) == 0
    assert client.get(reverse("redflags:list"), {"year": 2016, "flag": "R999"}).status_code == 400
    assert client.get(reverse("redflags:list"), {"year": 2016, "region": "T-99"}).status_code == 400


def test_nothing_sealed_reaches_the_public(client, flagged, companies):
    """Lot 3: most applications excluded, its room not closed yet. How many applied and how many were
    excluded would tell how many were admitted: no R038 on any page with flags before the outcome."""
    from seei.auctions.models import Room

    a, b, c, d, e = companies
    third = make_lot(flagged, number=3)
    examine(third, admitted=[a, b], excluded=[c, d, e])
    room = auction(third, {a: "80000.00", b: "85000.00"}, award="open")
    Room.objects.filter(pk=room.pk).update(status=Room.Status.SCHEDULED, opened_at=None)

    provisional = flagged.lots.get(number=2)
    pages = [
        client.get(reverse("redflags:list"), {"year": 2016}),
        client.get(reverse("awards:result", args=[provisional.pk])),
        client.get(reverse("portal:tender", args=[flagged.pk])),
    ]
    for response in pages:
        assert response.status_code == 200
        text = response.content.decode()
        assert 'data-code="R058"' in text
        assert 'data-code="R038"' not in text
    items = ApiClient().get("/red-flags", year=2016).json()["items"]
    assert "R058" in [item["code"] for item in items]
    assert "R038" not in [item["code"] for item in items]


def test_an_empty_install_says_there_is_no_red_flag_yet(client, db):
    response = client.get(reverse("redflags:list"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "No red flag yet." in page and "None" not in page


def test_the_result_page_shows_the_flags_of_its_lot_only(client, flagged):
    lot = flagged.lots.get(number=1)
    page = client.get(reverse("awards:result", args=[lot.pk])).content.decode()

    assert 'data-testid="red-flags"' in page
    assert page.count('data-testid="red-flag"') == 2


def test_the_buyer_sees_the_flags_on_its_notice(client, flagged, buyer):
    client.force_login(buyer.user)
    page = client.get(reverse("tenders:manage", args=[flagged.pk])).content.decode()

    assert 'data-testid="red-flags"' in page and 'data-code="R058"' in page


def test_a_practice_notice_shows_no_flag_to_its_buyer(client, flagged, buyer):
    from seei.tenders.models import Tender

    Tender.objects.filter(pk=flagged.pk).update(practice=True)
    client.force_login(buyer.user)
    page = client.get(reverse("tenders:manage", args=[flagged.pk])).content.decode()

    assert 'data-testid="red-flags"' not in page
    assert client.get(reverse("redflags:list"), {"year": 2016}).content.decode().count("data-code=") == 0


def test_the_statistics_page_and_the_navigation_link_to_the_red_flags(client, db):
    page = client.get(reverse("opendata:statistics")).content.decode()
    assert page.count(f'href="{reverse("redflags:list")}"') == 2


# The API ---------------------------------------------------------------------------------------------


def test_the_api_lists_each_flag_with_notice_lot_figures_and_rule(flagged):
    response = ApiClient().get("/red-flags", year=2016)

    assert response.status_code == 200
    body = response.json()
    assert body["year"] == 2016 and body["count"] == 3
    first = body["items"][0]
    lot = flagged.lots.get(number=1)
    assert first == {
        "code": "R058",
        "title": "Winning price far below the estimate or the second price",
        "rule": first["rule"],
        "year": 2016,
        "notice_id": flagged.pk,
        "reference": "AO-RF-2016-001",
        "buyer_id": flagged.buyer_id,
        "buyer": "Direction des Hôpitaux",
        "region": "T-01",
        "lot_id": lot.pk,
        "lot_number": 1,
        "currency": "MAD",
        "figures": {
            "price": "40000.00",
            "estimate": "100000.00",
            "below_estimate_percent": "60.00",
            "estimate_threshold_percent": "50.0",
            "second_price": "90000.00",
            "below_second_percent": "55.56",
            "second_threshold_percent": "20.0",
        },
    }
    assert "(OCP red flag R058" in first["rule"]


def test_the_api_filters_by_flag_year_region_and_buyer(flagged, other_buyer_org):
    api = ApiClient()
    body = api.get("/red-flags", year=2016, flag="R028").json()
    assert [item["code"] for item in body["items"]] == ["R028"]
    assert api.get("/red-flags", year=2016, region="T-01").json()["count"] == 3
    assert api.get("/red-flags", year=2016, buyer=flagged.buyer.parent_id).json()["count"] == 3
    assert api.get("/red-flags", year=2016, buyer=other_buyer_org.pk).json()["count"] == 0
    assert api.get("/red-flags", year=2015).json() == {"year": 2015, "count": 0, "items": []}


def test_the_api_refuses_what_it_cannot_answer(db):
    api = ApiClient()
    assert api.get("/red-flags").status_code == 422  # the year is required
    unknown = api.get("/red-flags", year=2016, flag="R999")
    assert unknown.status_code == 400 and unknown.json()["errors"] == {"flag": ["Unknown red flag “R999”."]}
    assert api.get("/red-flags", year=2016, buyer=999999).status_code == 400
    region = api.get("/red-flags", year=2016, region="T-99")
    assert region.status_code == 400 and region.json()["errors"] == {"region": ["Unknown code “T-99”."]}


def test_every_flag_has_a_title_and_a_rule_that_cites_its_identifier():
    from seei.redflags import texts

    for code in rules.CODES:
        text = texts.rule_text(code, rules.Thresholds())
        assert texts.TITLES[code]
        assert (code in text) if code.startswith("R") else ("no identifier" in text)


# The demo's 2016 -------------------------------------------------------------------------------------


def test_the_demo_year_2016_trips_each_flag_a_few_times_and_leaves_the_rest_clean(year_2016, db):
    body = ApiClient().get("/red-flags", year=2016).json()

    counts = {code: 0 for code in rules.CODES}
    for item in body["items"]:
        counts[item["code"]] += 1
        assert item["figures"]
    assert all(1 <= count <= 5 for count in counts.values()), counts
    flagged = {item["notice_id"] for item in body["items"]}
    assert len(flagged) < 93 / 2  # most procedures are clean
    wheelchairs = next(item for item in body["items"] if item["reference"] == "AO-DHSA-2016-001")
    assert wheelchairs["figures"]["below_estimate_percent"] == str(Decimal("54.62"))
