"""Signal handlers: worker heartbeats, task counters, the end of a request."""

import threading
import time

from celery import signals
from django.core.signals import request_finished

from config.logging import request_id_var

from . import statsd
from .heartbeats import INTERVAL_SECONDS, WORKER_KEY, beat_of
from .task_counts import count_task


def _start_heartbeat(sender=None, **kwargs) -> None:
    name = getattr(sender, "hostname", None) or "worker"

    def run() -> None:
        while True:
            beat_of(WORKER_KEY, name=name)
            time.sleep(INTERVAL_SECONDS)

    threading.Thread(target=run, name="hindsight-heartbeat", daemon=True).start()


def _task_finished(state: str):
    def handler(sender=None, **kwargs) -> None:
        name = getattr(sender, "name", None) or str(sender)
        count_task(name=name, state=state)
        statsd.incr(f"celery.task.{state}")

    return handler


_HANDLERS = {
    state: _task_finished(state) for state in ("succeeded", "failed", "retried")
}


def _forget_request_id(**kwargs) -> None:
    request_id_var.set("-")


def connect() -> None:
    request_finished.connect(_forget_request_id, dispatch_uid="ops.request_id")
    signals.worker_ready.connect(_start_heartbeat, weak=False)
    signals.task_success.connect(_HANDLERS["succeeded"], weak=False)
    signals.task_failure.connect(_HANDLERS["failed"], weak=False)
    signals.task_retry.connect(_HANDLERS["retried"], weak=False)
