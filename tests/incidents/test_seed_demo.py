import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, Max, Min
from django.urls import reverse

from incidents.models import (
    ActionItem,
    Commit,
    Deployment,
    Incident,
    Postmortem,
    PostmortemRevision,
    Service,
    Team,
    TimelineEntry,
)
from metrics.models import SLO
from tests.factories import at, make_deployment, make_service

pytestmark = pytest.mark.django_db

NOW = "2026-06-01T12:00:00Z"
NOW_AT = at(2026, 6, 1, 12)

# The ids of these are assigned by the database, so they vary from run to run; every
# other column, including the ids the seeder assigns itself, must not.
_HISTORY = [
    Deployment,
    Commit,
    Incident,
    Incident.services.through,
    TimelineEntry,
    Postmortem,
    PostmortemRevision,
    ActionItem,
]
_DATABASE_IDS = {
    Commit,
    Incident.services.through,
    TimelineEntry,
    PostmortemRevision,
    ActionItem,
}


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", "--now", NOW, *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def digest() -> str:
    sha = hashlib.sha256()
    for model in _HISTORY:
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if not (f.primary_key and model in _DATABASE_IDS)
        ]
        for row in model.objects.order_by(*fields).values_list(*fields):
            sha.update(repr(row).encode())
    return sha.hexdigest()


def forget_history() -> None:
    for model in reversed(_HISTORY):
        model.objects.all().delete()


def test_the_same_seed_and_now_give_the_same_rows():
    seed("--deployments", "300", "--seed", "7")
    first = digest()
    forget_history()

    seed("--deployments", "300", "--seed", "7")

    assert Deployment.objects.count() == 300
    assert digest() == first


def test_another_seed_gives_other_rows():
    seed("--deployments", "300", "--seed", "7")
    first = digest()
    forget_history()

    seed("--deployments", "300", "--seed", "8")

    assert digest() != first


def test_the_history_ends_shortly_before_now_and_spans_half_a_year():
    seed("--deployments", "500")

    span = Deployment.objects.aggregate(
        first=Min("finished_at"), last=Max("finished_at")
    )
    assert NOW_AT - timedelta(days=181) <= span["first"] <= NOW_AT - timedelta(days=179)
    # 500 deployments over 180 days leave about 8.6 hours between slots.
    assert NOW_AT - timedelta(hours=24) <= span["last"] <= NOW_AT
    assert not Commit.objects.filter(committed_at__gt=NOW_AT).exists()
    assert not Incident.objects.filter(started_at__gt=NOW_AT).exists()
    assert not Incident.objects.filter(resolved_at__gt=NOW_AT).exists()


def test_the_demo_history_is_realistic():
    out = seed()  # the default size, as `make run` seeds it

    assert Deployment.objects.count() == 2_000
    assert Team.objects.count() >= 3
    assert Service.objects.filter(deployments__isnull=False).distinct().count() >= 6
    assert not Service.objects.filter(repository_url="").exists()
    assert not Service.objects.filter(runbook_url="").exists()
    assert {"production", "staging"} == set(
        Deployment.objects.values_list("environment", flat=True)
    )
    assert set(Deployment.Status.values) - {"in_progress"} == set(
        Deployment.objects.values_list("status", flat=True)
    )
    commits_per_deployment = Commit.objects.count() / Deployment.objects.count()
    assert 4 <= commits_per_deployment <= 6
    assert Deployment.objects.filter(is_hotfix=True).exists()
    assert "2,000 deployments" in out


def test_rollbacks_undo_an_earlier_deployment_of_the_same_service():
    seed()

    rollbacks = Deployment.objects.filter(rollback_of__isnull=False).select_related(
        "rollback_of"
    )
    assert rollbacks.exists()
    for rollback in rollbacks:
        undone = rollback.rollback_of
        assert undone.service_id == rollback.service_id
        assert undone.environment == rollback.environment == "production"
        assert undone.status == Deployment.Status.ROLLED_BACK
        assert undone.finished_at < rollback.finished_at
        assert rollback.commits.count() == 0


def test_incidents_come_at_every_severity_about_one_per_ten_deployments():
    seed()

    incidents = Incident.objects.count()
    assert 150 <= incidents <= 250
    assert set(Incident.objects.values_list("severity", flat=True)) == set(
        Incident.Severity.values
    )
    assert Incident.objects.filter(caused_by__isnull=False).exists()
    assert Incident.objects.filter(caused_by__isnull=True).exists()
    assert Incident.objects.open().exists()
    assert Incident.objects.filter(status=Incident.Status.RESOLVED).exists()
    linked = Incident.objects.filter(caused_by__isnull=False).select_related(
        "caused_by"
    )
    for incident in linked:
        assert incident.services.filter(pk=incident.caused_by.service_id).exists()
        assert incident.caused_by.finished_at <= incident.started_at
        assert incident.cause_source in ("person", "api")


def test_incidents_have_timelines_and_postmortems_with_action_items():
    seed()

    without_timeline = Incident.objects.annotate(n=Count("timeline")).filter(n=0)
    assert not without_timeline.exists()
    resolved = Incident.objects.filter(status=Incident.Status.RESOLVED)
    assert (
        TimelineEntry.objects.filter(
            incident__in=resolved, data__to=Incident.Status.RESOLVED
        ).count()
        == resolved.count()
    )
    assert Postmortem.objects.exists()
    assert not Postmortem.objects.exclude(incident__status="resolved").exists()
    assert set(Postmortem.objects.values_list("status", flat=True)) == set(
        Postmortem.Status.values
    )
    published = Postmortem.objects.filter(status="published").first()
    assert published.body_html.startswith("<h1")
    assert published.revisions.count() == published.version == 2
    assert ActionItem.objects.filter(status="open").exists()
    assert ActionItem.objects.filter(status="done").exists()
    assert SLO.objects.count() >= 3


def test_the_demo_people_can_log_in_with_their_roles(client):
    out = seed("--deployments", "10")

    roles = {
        user.username: set(user.groups.values_list("name", flat=True))
        for user in User.objects.filter(username__in=["alice", "bob", "carol"])
    }
    assert roles == {"alice": {"admin"}, "bob": {"responder"}, "carol": {"viewer"}}
    response = client.post(
        reverse("login"), {"username": "carol", "password": "hindsight-demo"}
    )
    assert response.status_code == 302
    assert client.get(reverse("incidents:list")).status_code == 200
    assert "hindsight-demo" in out
    assert "alice (admin)" in out


def test_the_login_address_printed_is_the_configured_base_url(settings):
    settings.HINDSIGHT_BASE_URL = "http://127.0.0.1:8100/"

    out = seed("--if-empty", "--deployments", "10")

    assert "Log in at http://127.0.0.1:8100/accounts/login/ as alice" in out


def test_if_empty_leaves_existing_history_alone_but_ensures_the_people():
    make_deployment(make_service("checkout"))

    out = seed("--if-empty")

    assert "not added" in out
    assert Deployment.objects.count() == 1
    assert User.objects.filter(username__in=["alice", "bob", "carol"]).count() == 3


def test_if_empty_seeds_an_empty_database():
    seed("--if-empty", "--deployments", "50")

    assert Deployment.objects.count() == 50


def test_seeding_again_adds_after_the_existing_rows_and_ids_keep_working():
    seed("--deployments", "100")
    seed("--deployments", "100", "--seed", "2")
    highest = Deployment.objects.aggregate(top=Max("pk"))["top"]

    later = make_deployment(make_service("checkout"))

    assert Deployment.objects.count() == 201
    assert later.pk > highest


def test_a_small_batch_size_gives_the_same_rows():
    seed("--deployments", "200", "--batch-size", "200")
    first = digest()
    forget_history()

    seed("--deployments", "200", "--batch-size", "7")

    assert digest() == first


def test_a_time_without_zone_is_refused():
    with pytest.raises(CommandError, match="--now"):
        call_command("seed_demo", "--now", "2026-06-01 12:00", stdout=StringIO())
    assert not Deployment.objects.exists()


def commit_indexes() -> set[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(
            cursor, Commit._meta.db_table
        )
    return {name for name, info in constraints.items() if info["index"]}


def test_a_large_seed_leaves_every_commit_index_in_place(monkeypatch):
    # On PostgreSQL a large seed drops the SHA index while it writes; force that
    # path with a small size.
    monkeypatch.setattr("incidents.demo.DEFER_INDEXES_FROM", 1)
    before = commit_indexes()

    seed("--deployments", "50")

    assert "commit_service_sha" in before
    assert commit_indexes() == before
    assert Commit.objects.filter(service__slug="checkout").exists()


def test_a_seed_that_fails_half_way_still_restores_the_indexes(monkeypatch):
    monkeypatch.setattr("incidents.demo.DEFER_INDEXES_FROM", 1)

    def explode(self):
        raise RuntimeError("disk full")

    monkeypatch.setattr(
        "incidents.demo.history.DemoHistory._ongoing_incidents", explode
    )
    before = commit_indexes()

    with pytest.raises(RuntimeError, match="disk full"):
        seed("--deployments", "50", "--batch-size", "10")

    assert commit_indexes() == before
