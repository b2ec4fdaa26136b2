"""Benchmark: memory-bank export time and file sizes on the current database.

Run against a seeded PostgreSQL database, for example:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hs_memory \\
        .venv/bin/python bench/memory_bank.py --runs 3

Each run renders all three files from scratch and writes them (atomically) into a
fresh temporary directory; the script prints the time of every run, per-file render
times of the last run, the median, and the sizes. It only reads the record."""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from incidents.models import Deployment, Incident  # noqa: E402
from metrics.memory_bank import export  # noqa: E402
from metrics.memory_bank.context import build_context  # noqa: E402


def timed_renders() -> dict[str, float]:
    ctx = build_context()
    seconds = {}
    for name, render in export.RENDERERS.items():
        started = time.perf_counter()
        render(ctx)
        seconds[name] = time.perf_counter() - started
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    deployments = Deployment.objects.count()
    incidents = Incident.objects.count()
    print(f"database: {deployments} deployments, {incidents} incidents")

    times = []
    for run in range(1, args.runs + 1):
        with tempfile.TemporaryDirectory() as directory:
            started = time.perf_counter()
            result = export.export_memory_bank(out_dir=Path(directory))
            times.append(time.perf_counter() - started)
        print(f"run {run}: {times[-1]:.2f}s")

    for name, seconds in timed_renders().items():
        print(f"render {name}: {seconds:.2f}s")
    print(f"median export time over {len(times)} runs: {statistics.median(times):.2f}s")
    for name, size in sorted(result.sizes.items()):
        print(f"size {name}: {size} bytes")


if __name__ == "__main__":
    main()
