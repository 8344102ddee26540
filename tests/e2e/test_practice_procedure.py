"""A buyer agent rehearses the whole procedure in a real Chromium, on the compressed clock.

It starts a practice procedure from its notices, publishes it, answers a simulated company's question,
opens the simulated applications as its own commission (switching role on its profile page), admits
them, watches the simulated companies bid, and confirms the practice award. The worker does not run
under the live server: the test calls the simulated companies' moves and the room's steps where the
worker would, and moves the clock (stored in the database, shared with the server); nobody sleeps.
"""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import label
from tests.practice.test_practice import open_now, play

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
DAY = timedelta(seconds=60)


def as_the_worker(function, *args):
    """What the task worker does, in a thread of its own: the bid path runs its own event loop,
    which cannot run in Playwright's."""
    from django.db import connection

    def run():
        try:
            return function(*args)
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def test_a_buyer_agent_runs_a_practice_procedure_to_its_award(live_server, person, buyer, clock):
    from seei.awards.models import Award
    from seei.practice import procedure
    from seei.tenders.models import Tender

    base = live_server.url
    page = person(buyer)

    # From its notices, the buyer starts a practice procedure: a practice draft, marked everywhere.
    page.goto(f"{base}/en/buyer/notices/")
    page.get_by_test_id("start-practice-procedure").click()
    expect(page.get_by_role("status")).to_contain_text("Your practice procedure is ready")
    expect(page.get_by_test_id("practice-banner")).to_contain_text("every legal day lasts 60 seconds")
    practice = Tender.objects.get(practice=True)
    page.get_by_role("button", name="Publish the notice").click()
    expect(page.get_by_role("status")).to_contain_text("The practice notice is published")

    # A compressed day later a simulated company asks; the buyer answers.
    clock.advance(DAY)
    procedure.ask_question(practice.pk)
    page.reload()
    page.get_by_role("link", name="Clarification requests (1)").click()
    expect(page.get_by_test_id("practice-banner")).to_be_visible()
    page.get_by_label(label("Answer")).fill("Oui, en deux livraisons de 100 chaises.")
    page.get_by_role("button", name="Publish the answer").click()
    expect(page.get_by_role("status")).to_be_visible()

    # The simulated companies apply; the compressed deadline passes.
    clock.advance(DAY)
    assert procedure.submit_applications(practice.pk) == procedure.APPLICANTS
    clock.advance(practice.application_deadline - clock.now() + timedelta(seconds=1))

    # The buyer acts as its commission: one switch on its profile page.
    page.goto(f"{base}/en/accounts/profile/")
    page.get_by_role("button", name=f"Act for {buyer.organisation.name}").click()
    expect(page.get_by_role("status")).to_contain_text("You now act as Commission member")
    page.goto(f"{base}/en/applications/commission/notices/{practice.pk}/")
    expect(page.get_by_test_id("practice-banner")).to_be_visible()
    page.get_by_label("I declare that I have no conflict of interest", exact=False).check()
    page.get_by_test_id("declare").click()
    page.get_by_test_id("open-examination").click()
    expect(page.get_by_test_id("examined-application")).to_have_count(procedure.APPLICANTS)
    for index in range(procedure.APPLICANTS):
        article = page.get_by_test_id("examined-application").nth(index)
        article.get_by_test_id("decision-lot").get_by_label("Admitted", exact=True).check()
        article.get_by_test_id("save-decision").click()
        expect(page.get_by_role("status")).to_contain_text("Decision recorded")
    page.get_by_test_id("close-session").click()
    expect(page.get_by_role("status")).to_contain_text("The session is closed")

    # The room opens two compressed days later; the simulated companies bid and the room closes.
    lot = practice.lots.get()
    open_now(lot, clock)
    as_the_worker(lambda: play(lot, clock, seed=5))
    award = Award.objects.get(lot=lot)

    # The simulated awardee's documents arrive; the commission confirms: the practice award is final.
    clock.advance(DAY)
    assert procedure.submit_award_documents(award.pk) == "submitted"
    page.goto(f"{base}/en/awards/{award.pk}/")
    expect(page.get_by_test_id("practice-banner")).to_be_visible()
    page.get_by_role("button", name="Confirm the award").click()
    expect(page.get_by_role("status")).to_contain_text("The award is final")
    expect(page.get_by_test_id("award-status")).to_have_attribute("data-status", "final")
    expect(page.get_by_test_id("awardee")).to_contain_text("Simulated company")

    # Never public: the notice and the result are not found by anyone else.
    public = person()
    assert public.goto(f"{base}/en/notices/{practice.pk}/").status == 404
    assert public.goto(f"{base}/en/awards/lots/{lot.pk}/").status == 404
