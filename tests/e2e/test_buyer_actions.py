"""The buyer agent's everyday actions in a real browser, in Arabic and French: preview a draft,
delete another, cancel a published notice; the public reads the cancellation with its reason."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_preview_delete_and_cancel_through_the_pages(live_server, person, buyer, draft_tender, clock):
    from seei.tenders import copying, services
    from seei.tenders.models import Tender

    spare = copying.copy_tender(buyer, draft_tender, "AO-2026-SPARE")
    page = person(buyer)

    # Arabic, right to left: the draft's preview says it is not published.
    page.goto(f"{live_server.url}/ar/buyer/notices/{draft_tender.pk}/")
    page.get_by_role("link", name="معاينة الصفحة العمومية").click()
    expect(page.get_by_test_id("preview-banner")).to_contain_text("معاينة — غير منشور")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("heading", level=1)).to_contain_text("اقتناء كراسي متحركة")

    # French: the spare draft is deleted after its confirmation.
    page.goto(f"{live_server.url}/fr/buyer/notices/{spare.pk}/")
    page.get_by_role("link", name="Supprimer le brouillon").click()
    page.get_by_test_id("confirm-delete").click()
    expect(page.get_by_role("status")).to_contain_text("AO-2026-SPARE")
    assert not Tender.objects.filter(pk=spare.pk).exists()

    # Arabic: the published notice is cancelled with a reason.
    services.publish(buyer, draft_tender)
    page.goto(f"{live_server.url}/ar/buyer/notices/{draft_tender.pk}/")
    page.get_by_role("link", name="إلغاء الإعلان").click()
    page.get_by_label("سبب الإلغاء").fill("سُحبت الاعتمادات المالية")
    page.get_by_role("button", name="إلغاء الإعلان").click()
    expect(page.get_by_test_id("cancelled")).to_contain_text("سُحبت الاعتمادات المالية")

    # A visitor reads it in French, without the apply link.
    visitor = person()
    visitor.goto(f"{live_server.url}/fr/notices/{draft_tender.pk}/")
    expect(visitor.get_by_test_id("cancelled")).to_contain_text("Cet avis est annulé.")
    expect(visitor.get_by_test_id("cancelled")).to_contain_text("سُحبت الاعتمادات المالية")
    expect(visitor.get_by_test_id("apply-link")).to_have_count(0)
