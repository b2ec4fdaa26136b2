"""A real Celery worker for tests marked ``celery_worker`` (CI's PostgreSQL + Redis
pass). The worker is a subprocess on the test database pytest-django created, so the
tests that use it must commit what the worker should see (transactional tests)."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
# Short, so that a message whose worker was killed is handed out again quickly.
VISIBILITY_TIMEOUT_SECONDS = 3
START_TIMEOUT_SECONDS = 60


def _database_url() -> str:
    db = connection.settings_dict
    user = quote(db.get("USER") or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{db['NAME']}"


class Worker:
    """Start, SIGKILL and restart one worker (solo pool: the task runs in the process
    that is killed, with no pool child left behind)."""

    def __init__(self, *, log_dir: Path, include: list[str], env: dict[str, str]):
        self.log_dir = log_dir
        self.include = include
        self.env = env
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def _environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings_test",
            "DATABASE_URL": _database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "MEMORY_BANK_DIR": str(settings.MEMORY_BANK_DIR),
            "BACKUP_DIR": str(settings.BACKUP_DIR),
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT_SECONDS),
            **self.env,
        }

    def start(self) -> None:
        self.starts += 1
        log = self.log_dir / f"worker-{self.starts}.log"
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            f"--hostname=test-{uuid.uuid4().hex[:8]}@%h",
        ]
        if self.include:
            command.append(f"--include={','.join(self.include)}")
        with open(log, "w") as output:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self._environment(),
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_until_ready(log)

    def _wait_until_ready(self, log: Path) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if " ready." in log.read_text():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError(f"The Celery worker did not start:\n{log.read_text()}")

    def kill(self) -> None:
        """SIGKILL, as the OOM killer or a lost node would: no warm shutdown, no ack."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)

    def logs(self) -> str:
        return "\n".join(
            p.read_text() for p in sorted(self.log_dir.glob("worker-*.log"))
        )


def wait_for(condition, *, timeout: float = 60, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.2)
    raise AssertionError(f"Timed out after {timeout}s waiting for {what}")


@pytest.fixture
def celery_worker_factory(transactional_db, tmp_path):
    """Call it with `include=[modules]` and `env={...}` to get a started worker."""
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        pytest.fail(
            "celery_worker tests need DATABASE_URL (PostgreSQL) and REDIS_URL: "
            "run them with `make test-postgres` (.ci/postgres-pass)"
        )

    from config.celery import app

    app.control.purge()
    workers: list[Worker] = []

    def start(*, include: list[str] = (), env: dict[str, str] | None = None):
        log_dir = tmp_path / f"worker-logs-{len(workers)}"
        log_dir.mkdir()
        worker = Worker(log_dir=log_dir, include=list(include), env=env or {})
        workers.append(worker)
        worker.start()
        return worker

    yield start
    for worker in workers:
        worker.stop()
