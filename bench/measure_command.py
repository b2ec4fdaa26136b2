"""Shared by the seed_demo and import_git_history benchmarks: run a management command
as a child process and measure its wall time and peak resident memory, and give each
run a freshly migrated PostgreSQL database."""

import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/hs_seed"


@dataclass(frozen=True)
class Run:
    seconds: float
    # CPU time of the command itself (not the database server's): steadier than
    # wall time on a machine shared with other work.
    cpu_seconds: float
    peak_rss_mib: float


def environment(database_url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, "DEBUG": "1"}


def recreate_database(database_url: str) -> None:
    """Drop and create the database, then migrate it (none of this is timed)."""
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    for sql in (
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        f'CREATE DATABASE "{name}"',
    ):
        subprocess.run(["psql", admin, "-qc", sql], check=True)
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "-v0"],
        cwd=ROOT,
        env=environment(database_url),
        check=True,
        stderr=subprocess.DEVNULL,
    )


def measure(args: list[str], database_url: str) -> Run:
    """Run ``manage.py *args`` and return its wall time and peak RSS. wait4 gives
    the rusage of this one child, so earlier children do not blur the peak."""
    started = time.monotonic()
    child = subprocess.Popen(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=environment(database_url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    # Keep the progress lines flowing so a full pipe never stalls the child.
    for line in child.stderr:
        sys.stderr.write("    " + line.decode(errors="replace"))
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.monotonic() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed ({child.returncode})")
    # ru_maxrss is in KiB on Linux.
    return Run(
        seconds=seconds,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        peak_rss_mib=usage.ru_maxrss / 1024,
    )


def summary(label: str, runs: list[Run]) -> str:
    times = ", ".join(f"{r.seconds:.1f}" for r in runs)
    peaks = ", ".join(f"{r.peak_rss_mib:.0f}" for r in runs)
    load = os.getloadavg()[0]
    return (
        f"{label}: median {statistics.median(r.seconds for r in runs):.1f} s wall, "
        f"{statistics.median(r.cpu_seconds for r in runs):.1f} s CPU, "
        f"peak RSS median {statistics.median(r.peak_rss_mib for r in runs):.0f} MiB "
        f"over {len(runs)} runs (times {times} s; peaks {peaks} MiB; "
        f"load average {load:.1f} at the end)"
    )
