"""When exports happen: a change schedules one, a burst schedules one, the task takes
a lock, and a failed export leaves the previous files and marks the bank dirty."""

from decimal import Decimal
from unittest import mock

import pytest
from django.core.cache import cache

from incidents.services.deployments import record_deployment
from incidents.signals import record_changed
from metrics import tasks
from metrics.memory_bank import scheduling
from metrics.memory_bank.export import FILE_NAMES
from metrics.models import SLO
from tests.factories import at, make_service


@pytest.fixture(autouse=True)
def clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def with_broker(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.MEMORY_BANK_DEBOUNCE_SECONDS = 30
    with mock.patch.object(tasks.export_memory_bank, "apply_async") as apply_async:
        yield apply_async


@pytest.fixture
def bank_dir(settings, tmp_path):
    settings.MEMORY_BANK_DIR = tmp_path / "bank"
    return settings.MEMORY_BANK_DIR


def change():
    record_changed.send(sender=None, kind="deployment", ids=[1])


def test_a_burst_of_changes_schedules_one_delayed_export(with_broker, db):
    for _ in range(25):
        change()

    with_broker.assert_called_once_with(countdown=30)
    assert scheduling.is_dirty()


def test_a_change_after_the_export_started_schedules_the_next_one(
    with_broker, bank_dir, db
):
    change()
    assert tasks.export_memory_bank() == "exported: 3 of 3 files changed"

    change()

    assert with_broker.call_count == 2


def test_a_recorded_deployment_schedules_an_export_after_commit(
    with_broker, db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        record_deployment(
            service_slug="checkout",
            environment="production",
            finished_at=at(2025, 5, 1),
        )

    with_broker.assert_called_once_with(countdown=30)


def test_saving_an_slo_schedules_an_export_after_commit(
    with_broker, db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        SLO.objects.create(
            service=make_service("checkout"),
            name="Availability",
            target_percent=Decimal("99.9"),
        )

    with_broker.assert_called_once_with(countdown=30)


def test_the_task_writes_the_files_and_clears_the_markers(with_broker, bank_dir, db):
    change()

    outcome = tasks.export_memory_bank()

    assert outcome == "exported: 3 of 3 files changed"
    assert sorted(p.name for p in bank_dir.iterdir()) == sorted(FILE_NAMES)
    assert not scheduling.is_dirty()
    assert cache.get(scheduling.PENDING_KEY) is None
    assert cache.get(scheduling.LOCK_KEY) is None


def test_a_second_export_while_one_runs_is_deferred_not_run(with_broker, bank_dir, db):
    cache.add(scheduling.LOCK_KEY, True)

    outcome = tasks.export_memory_bank()

    assert outcome == "busy: another export is running"
    assert not bank_dir.exists()
    with_broker.assert_called_once_with(countdown=30)


def test_a_failed_export_keeps_the_old_files_leaves_no_temp_and_stays_dirty(
    with_broker, bank_dir, db
):
    tasks.export_memory_bank()
    old = {name: (bank_dir / name).read_bytes() for name in FILE_NAMES}
    make_service("ledger")  # the next export would change the catalogue

    with (
        mock.patch("metrics.memory_bank.writer.os.replace", side_effect=OSError),
        pytest.raises(OSError),
    ):
        tasks.export_memory_bank()

    assert {name: (bank_dir / name).read_bytes() for name in FILE_NAMES} == old
    assert [p.name for p in bank_dir.iterdir() if p.name.endswith(".tmp")] == []
    assert scheduling.is_dirty()
    assert cache.get(scheduling.LOCK_KEY) is None


def test_embedded_mode_exports_at_once_then_only_marks_dirty_for_a_while(
    settings, bank_dir, db
):
    settings.CELERY_TASK_ALWAYS_EAGER = True

    with mock.patch(
        "metrics.tasks.write_memory_bank", wraps=tasks.write_memory_bank
    ) as export:
        first = scheduling.request_export()
        later = [scheduling.request_export() for _ in range(10)]

    assert first == "exported"
    assert set(later) == {"deferred"}
    assert export.call_count == 1
    assert scheduling.is_dirty()


def test_embedded_mode_exports_again_once_the_interval_has_passed(
    settings, bank_dir, db
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    scheduling.request_export()
    cache.delete(scheduling.RECENT_KEY)  # what the interval's expiry does

    assert scheduling.request_export() == "exported"
    assert not scheduling.is_dirty()
