"""Loaded only into the workers that tests/ops/test_celery_kill.py starts (celery
--include): while the pause flag exists, the memory-bank export stops after taking
its lock and before writing, and waits there to be killed."""

import os
import time
from pathlib import Path

from metrics import tasks

_write_memory_bank = tasks.write_memory_bank


def _pausable_write(*args, **kwargs):
    flags = Path(os.environ["HINDSIGHT_TEST_FLAGS"])
    if (flags / "pause-export").exists():
        (flags / "export-paused").touch()
        while True:
            time.sleep(1)
    return _write_memory_bank(*args, **kwargs)


tasks.write_memory_bank = _pausable_write
