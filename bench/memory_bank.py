"""Benchmark: memory-bank export time and file sizes on the current database.

Run against a seeded PostgreSQL database, for example:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hs_memory \\
        .venv/bin/python bench/memory_bank.py --runs 3

Each run renders all three files from scratch and writes them (atomically) into a
fresh temporary directory; the script prints the time of every run, the median, and
the sizes. It only reads the record.

``--only infrastructure,incidents`` instead times those renderers alone (the median
of the runs and the size of each), ``--dora-once`` times a single all-services
90-day ``dora_report`` and ``--dora-all`` every DORA figure the metrics file needs:
for a database that lacks the SLO tables or is too large for whole exports within
the time at hand."""

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from incidents.models import Deployment, Incident  # noqa: E402
from metrics.dora import dora_report  # noqa: E402
from metrics.memory_bank import export  # noqa: E402
from metrics.memory_bank import incidents as incidents_file  # noqa: E402
from metrics.memory_bank import infrastructure as infrastructure_file  # noqa: E402
from metrics.memory_bank.context import ExportContext  # noqa: E402

PARTS = {"infrastructure": infrastructure_file, "incidents": incidents_file}


def time_parts(names: list[str], runs: int) -> None:
    # data_as_of is left out: it reads the SLO tables, which an older schema lacks.
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    ctx = ExportContext(evaluated_at=now, data_as_of=None, max_bytes=100_000)
    for name in names:
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            text = PARTS[name].render(ctx)
            times.append(time.perf_counter() - started)
        print(
            f"render {name}: median {statistics.median(times):.2f}s over {runs} runs "
            f"({', '.join(f'{t:.2f}' for t in times)}), {len(text.encode())} bytes"
        )


def time_metrics_figures() -> None:
    """Every DORA figure CLAUDE-metrics.md asks for, without the SLO part."""
    from incidents.models import Service
    from metrics.dora import weekly_trend

    end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    end += timedelta(days=1)
    slugs = [None, *Service.objects.order_by("slug").values_list("slug", flat=True)]
    started = time.perf_counter()
    for days in (30, 90):
        for slug in slugs:
            dora_report(start=end - timedelta(days=days), end=end, service=slug)
    weekly_trend(start=end - timedelta(weeks=26), end=end)
    print(
        f"all DORA figures of the metrics file ({2 * len(slugs)} reports and a "
        f"26-week trend): {time.perf_counter() - started:.2f}s"
    )


def time_dora_once() -> None:
    end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    started = time.perf_counter()
    dora_report(start=end - timedelta(days=90), end=end)
    print(
        f"one dora_report (all services, 90 days): {time.perf_counter() - started:.2f}s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", default="", help="e.g. infrastructure,incidents")
    parser.add_argument("--dora-once", action="store_true")
    parser.add_argument("--dora-all", action="store_true")
    args = parser.parse_args()

    deployments = Deployment.objects.count()
    incidents = Incident.objects.count()
    print(f"database: {deployments} deployments, {incidents} incidents")
    if args.only or args.dora_once or args.dora_all:
        if args.only:
            time_parts(args.only.split(","), args.runs)
        if args.dora_once:
            time_dora_once()
        if args.dora_all:
            time_metrics_figures()
        return

    times = []
    for run in range(1, args.runs + 1):
        with tempfile.TemporaryDirectory() as directory:
            started = time.perf_counter()
            result = export.export_memory_bank(out_dir=Path(directory))
            times.append(time.perf_counter() - started)
        print(f"run {run}: {times[-1]:.2f}s")

    print(f"median export time over {len(times)} runs: {statistics.median(times):.2f}s")
    for name, size in sorted(result.sizes.items()):
        print(f"size {name}: {size} bytes")


if __name__ == "__main__":
    main()
