"""The watch service's fixtures: a company watching the fixtures' category, one watching another."""

import pytest

from seei.accounts.models import User
from seei.alerts import tasks
from seei.alerts.models import WatchProfile
from seei.core.translated import make
from seei.tenders.models import Category


def watch(membership, name="Santé", **criteria) -> WatchProfile:
    choices = {key: criteria.pop(key) for key in ("categories", "regions", "buyers") if key in criteria}
    profile = WatchProfile.objects.create(company=membership.organisation, name=name, **criteria)
    for key, values in choices.items():
        getattr(profile, key).set(values)
    return profile


def speaks(membership, language: str):
    User.objects.filter(pk=membership.user_id).update(language=language)
    membership.user.language = language


def run_alert_jobs() -> None:
    """What the worker does with the jobs the procedure queued (``seei.alerts.events``), in order."""
    from procrastinate.contrib.django.models import ProcrastinateJob

    for job in ProcrastinateJob.objects.filter(task_name="seei.alerts.record", status="todo").order_by("id"):
        tasks.record(**job.args)
        ProcrastinateJob.objects.filter(pk=job.pk).delete()
    tasks.deliver()


@pytest.fixture
def other_category(db):
    return Category.objects.get_or_create(
        code="T-BTP", defaults={"name": make("fr", fr="Travaux", en="Works")}
    )[0]
