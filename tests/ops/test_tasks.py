from pathlib import Path

import pytest
from django.core.cache import cache

from config.celery import app
from ops import heartbeats
from ops.beat import HeartbeatScheduler
from ops.tasks import back_up

from ..factories import make_incident


@pytest.mark.django_db(transaction=True)
def test_the_daily_backup_task_writes_an_archive_and_prunes(settings, tmp_path):
    settings.BACKUP_DIR = tmp_path / "backups"
    settings.MEMORY_BANK_DIR = tmp_path / "memory-bank"
    make_incident()

    outcome = back_up.apply().get()

    [archive] = Path(settings.BACKUP_DIR).glob("hindsight-*.tar")
    assert outcome == f"wrote {archive.name}, pruned 0"


def test_beat_records_its_heartbeat_and_wakes_often_enough_to_keep_it(tmp_path):
    cache.delete(heartbeats.BEAT_KEY)
    scheduler = HeartbeatScheduler(
        app=app, schedule_filename=str(tmp_path / "schedule"), lazy=False
    )
    try:
        sleep = scheduler.tick()
    finally:
        scheduler.close()

    assert sleep <= heartbeats.INTERVAL_SECONDS
    assert heartbeats.last_seen(heartbeats.BEAT_KEY)["name"].startswith("beat@")
