"""The statistics of the accountant's perimeter, per buyer: awards and their amount, visas granted and
refused, amounts committed and paid, the average delays award → visa and visa → first payment.
Practice and other perimeters are never counted."""

from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from seei.awards import accountant_selectors
from tests.awards.test_accountant_file import client_for, text
from tests.awards.test_accountant_list import books  # noqa: F401  (the fixture)


def by_buyer(rows) -> dict:
    return {row.buyer.name: row for row in rows}


def test_the_statistics_of_the_perimeter(books, accountant, other_accountant, buyer):  # noqa: F811
    rows = by_buyer(accountant_selectors.statistics(accountant, accountant_selectors.Filters()))
    assert set(rows) == {"Ministère de la Santé", "Direction des Hôpitaux", "Direction du Médicament"}
    hospitals = rows["Direction des Hôpitaux"]  # 001 to check, 002 partly paid, 003 refused; 005 is practice
    assert (hospitals.awards, hospitals.awarded) == (3, Decimal("1755000.00"))
    assert (hospitals.granted, hospitals.refused) == (1, 1)
    assert (hospitals.committed, hospitals.paid) == (Decimal("585000.00"), Decimal("100000.00"))
    assert (hospitals.days_to_visa, hospitals.days_to_payment) == (1.0, 0.0)
    medicines = rows["Direction du Médicament"]
    assert (medicines.awards, medicines.granted, medicines.refused) == (1, 1, 0)
    assert medicines.paid == medicines.committed == Decimal("585000.00")
    ministry = rows["Ministère de la Santé"]
    assert (ministry.awards, ministry.paid, ministry.days_to_visa) == (0, Decimal("0.00"), None)

    # The page, and its period.
    client = client_for(accountant)
    page = text(client.get(reverse("awards:accountant_statistics")))
    assert "Direction des Hôpitaux" in page and "Commune de Fès" not in page
    assert "1,755,000.00" in page and "100,000.00" in page
    start = timezone.localdate(books.refused.final_at).isoformat()  # the accountant's dates are local
    page = text(client.get(reverse("awards:accountant_statistics"), {"start": start}))
    rows = by_buyer(
        accountant_selectors.statistics(
            accountant, accountant_selectors.Filters(start=timezone.localdate(books.refused.final_at))
        )
    )
    assert rows["Direction des Hôpitaux"].awards == 1 and rows["Direction des Hôpitaux"].refused == 1
    assert "585,000.00" in page and "1,755,000.00" not in page
    page = text(
        client.get(reverse("awards:accountant_statistics"), {"start": "2026-12-31", "end": "2026-01-01"})
    )
    assert "The start of the period is after its end." in page

    # Another perimeter sees its own buyer only.
    rows = by_buyer(accountant_selectors.statistics(other_accountant, accountant_selectors.Filters()))
    assert set(rows) == {"Commune de Fès"} and rows["Commune de Fès"].awards == 1
    page = text(client_for(other_accountant).get(reverse("awards:accountant_statistics")))
    assert "Direction des Hôpitaux" not in page and "Commune de Fès" in page

    # Other roles and anonymous visitors.
    for person in (buyer, books_commission(books)):
        response = client_for(person).get(reverse("awards:accountant_statistics"))
        assert response.status_code == 403 and "This page is reserved for: Accountant" in text(response)
    response = client_for().get(reverse("awards:accountant_statistics"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def books_commission(books):  # noqa: F811
    from seei.applications.models import CommissionMember

    return CommissionMember.objects.filter(tender=books.to_check.lot.tender).first().membership
