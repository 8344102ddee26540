"""The data migration: each existing company's first person becomes its manager, nobody else."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("accounts", "0005_people_managers")]
AFTER = [("accounts", "0006_first_company_member_manages")]


def test_each_companys_first_member_becomes_manager():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    Organisation, User, Membership = (
        apps.get_model("accounts", name) for name in ("Organisation", "User", "Membership")
    )
    company = Organisation.objects.create(kind="company", name="Atlas", ice="001234567000089")
    buyer = Organisation.objects.create(kind="buyer", name="Direction")
    people = [User.objects.create(email=f"p{i}@example.ma") for i in range(3)]
    first = Membership.objects.create(user=people[0], organisation=company, role="company_member")
    second = Membership.objects.create(user=people[1], organisation=company, role="company_member")
    agent = Membership.objects.create(user=people[2], organisation=buyer, role="buyer_agent")
    try:
        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)
        apps = executor.loader.project_state(AFTER).apps
        managers = set(
            apps.get_model("accounts", "Membership")
            .objects.filter(is_manager=True)
            .values_list("pk", flat=True)
        )
        assert managers == {first.pk}
        assert second.pk not in managers and agent.pk not in managers
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
