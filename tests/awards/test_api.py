"""The award in the JSON API: the same selectors, services and refusals as the pages."""

import pytest

from seei.awards.models import AwardDocument, Payment, Visa
from seei.core.models import AuditEvent
from tests.api.conftest import ApiClient, token_for
from tests.awards.conftest import finalise, grant_visa, pdf_upload, submit

pytestmark = pytest.mark.urls("tests.awards.urls")


def api(membership=None, language="en") -> ApiClient:
    return ApiClient(token_for(membership) if membership else None, language)


def test_the_buyer_reads_the_award_without_identities_until_final(closed, buyer):
    client = api(buyer)
    listed = client.get("/awards").json()
    assert [a["id"] for a in listed] == [closed.award.pk] and listed[0]["awardee"] is None
    detail = client.get(f"/awards/{closed.award.pk}").json()
    assert detail["status"] == "provisional" and detail["steps"][0]["company"] is None
    assert detail["steps"][0]["pseudonym"] == closed.pseudonym(closed.ranked[0])
    assert detail["minutes"]["sha256"] and detail["required_documents"][0] == "tax_certificate"
    finalise(closed)
    detail = client.get(f"/awards/{closed.award.pk}").json()
    assert detail["awardee"]["name"] == closed.ranked[0].organisation.name
    assert detail["steps"][0]["company"]["ice"] == closed.ranked[0].organisation.ice
    assert detail["paid"] == "0.00" and detail["remaining"] == "585000.00"


def test_the_candidate_submits_its_documents_as_multipart(closed):
    client = api(closed.ranked[0])
    form = {kind: pdf_upload(f"{kind}.pdf") for kind in closed.award.required_documents}
    del form["performance_bond"]
    response = client.upload(f"/awards/{closed.award.pk}/documents", **form)
    assert response.status_code == 400 and "performance_bond" in response.json()["errors"]
    assert not AwardDocument.objects.exists()
    form = {kind: pdf_upload(f"{kind}.pdf") for kind in closed.award.required_documents}  # fresh files
    response = client.upload(f"/awards/{closed.award.pk}/documents", **form)
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "submitted" and AwardDocument.objects.count() == 3
    assert api(closed.ranked[1]).get(f"/awards/{closed.award.pk}").status_code == 403


def test_each_acts_only_in_its_own_role(closed):
    """The commission submits no documents and the candidate decides nothing: 403, whatever the body."""
    form = {kind: pdf_upload(f"{kind}.pdf") for kind in closed.award.required_documents}
    response = api(closed.commission).upload(f"/awards/{closed.award.pk}/documents", **form)
    assert response.status_code == 403 and not AwardDocument.objects.exists()
    response = api(closed.ranked[0]).post(f"/awards/{closed.award.pk}/fail", {"rank": 1, "reason": "x"})
    assert response.status_code == 403 and closed.award.current_step().status == "requested"


def test_the_commission_decides_in_ranking_order(closed, buyer):
    submit(closed)
    client = api(closed.commission)
    response = client.post(f"/awards/{closed.award.pk}/confirm", {"rank": 2})
    assert response.status_code == 400 and "The award follows the ranking" in response.json()["detail"]
    response = api(buyer).post(f"/awards/{closed.award.pk}/confirm", {"rank": 1})
    assert response.status_code == 403  # who decides is a matter of permission, whatever the body says
    assert response.json()["detail"] == (
        "Only the commission of the notice decides on its award, and only the candidate asked for "
        "documents submits them."
    )
    assert closed.award.status == "provisional"
    response = client.post(f"/awards/{closed.award.pk}/fail", {"rank": 1, "reason": "Caution non conforme"})
    assert response.status_code == 200 and [s["status"] for s in response.json()["steps"]] == [
        "failed",
        "requested",
    ]
    assert response.json()["steps"][1]["company"]["name"] == closed.ranked[1].organisation.name


def test_the_result_and_the_minutes_are_public_once_final(closed):
    public = api()
    result = public.get(f"/lots/{closed.lot.pk}/award").json()
    assert result["status"] == "in_progress" and result["awardee"] is None and result["minutes"] is None
    assert [line["company"] for line in result["ranking"]] == [None, None, None]
    assert public.get(f"/awards/{closed.award.pk}/minutes").status_code == 403
    finalise(closed)
    result = public.get(f"/lots/{closed.lot.pk}/award").json()
    assert result["status"] == "final" and result["amount"] == "585000.00"
    assert [line["company"]["name"] for line in result["ranking"]] == [
        m.organisation.name for m in closed.ranked
    ]
    minutes = public.get(result["minutes"]["url"].removeprefix("/api/v1"))
    assert minutes.status_code == 200 and minutes.content.startswith(b"%PDF")


def test_the_accountant_verifies_grants_and_pays_within_the_awarded_amount(closed, accountant, buyer):
    award = finalise(closed)
    client = api(accountant)
    assert [a["id"] for a in client.get("/awards").json()] == [award.pk]
    verdict = client.get(f"/awards/{award.pk}/verification").json()
    assert verdict["ok"] and verdict["winner"] == closed.pseudonym(closed.ranked[0])
    body = {"decision": "granted", "commitment_amount": "585000.00", "budget_line": "1.2.3.40"}
    response = client.post(f"/awards/{award.pk}/visa", {**body, "committed_on": "2026-01-15"})
    assert response.status_code == 201 and response.json()["accountant_post"] == accountant.organisation.name
    for amount in ("300000.00", "200000.00"):
        body = {"paid_on": "2026-01-15", "amount": amount, "reference": f"OP-{amount}"}
        assert client.post(f"/awards/{award.pk}/payments", body).status_code == 201
    response = client.post(
        f"/awards/{award.pk}/payments", {"paid_on": "2026-01-16", "amount": "85000.01", "reference": "OP-X"}
    )
    assert response.status_code == 400
    assert (
        "is more than what remains to be paid (85,000.00\u00a0MAD" in response.json()["errors"]["amount"][0]
    )
    assert Payment.objects.count() == 2
    summary = api(buyer).get(f"/awards/{award.pk}/payments").json()
    assert (
        summary["paid"] == "500000.00"
        and summary["remaining"] == "85000.00"
        and len(summary["payments"]) == 2
    )


def test_an_accountant_outside_the_perimeter_gets_a_clear_refusal(closed, other_accountant):
    award = finalise(closed)
    client = api(other_accountant)
    assert client.get("/awards").json() == []
    assert client.get(f"/awards/{award.pk}").status_code == 403
    response = client.post(f"/awards/{award.pk}/visa", {"decision": "granted"})
    assert response.status_code == 403
    assert response.json()["detail"] == "This award is not in the perimeter of your accountant post."
    assert not Visa.objects.exists()


def test_only_the_accountant_of_the_perimeter_runs_the_verification(closed, buyer, other_accountant):
    # As on the page: the verifier is the accountant's tool, and its run is audited.
    award = finalise(closed)
    for someone in (buyer, closed.commission, closed.ranked[0], other_accountant):
        assert api(someone).get(f"/awards/{award.pk}/verification").status_code == 403
    assert not AuditEvent.objects.filter(action="award.ledger_verified").exists()


def test_messages_follow_the_language(closed, accountant):
    award = finalise(closed)
    grant_visa(closed, accountant)
    response = api(accountant, "fr").post(
        f"/awards/{award.pk}/payments", {"paid_on": "2026-01-15", "amount": "0", "reference": "OP"}
    )
    assert response.status_code == 400 and response.json()["errors"]["amount"]


def test_the_openapi_document_describes_the_award_operations(db):
    schema = api().get("/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/awards",
        "/api/v1/awards/{award_id}",
        "/api/v1/awards/{award_id}/documents",
        "/api/v1/awards/{award_id}/confirm",
        "/api/v1/awards/{award_id}/fail",
        "/api/v1/awards/{award_id}/minutes",
        "/api/v1/awards/{award_id}/verification",
        "/api/v1/awards/{award_id}/visa",
        "/api/v1/awards/{award_id}/payments",
        "/api/v1/lots/{lot_id}/award",
    ):
        assert path in paths, path
