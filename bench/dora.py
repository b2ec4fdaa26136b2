"""How fast the DORA figures and the metrics page are at a large organisation's size.

Run against a PostgreSQL database already holding the data (for issue 6: 1,000,000
deployments, 5,000,000 commits, 100,000 incidents), for example::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hs_bench \\
    REDIS_URL=redis://127.0.0.1:6379/2 DEBUG=1 \\
    .venv/bin/python bench/dora.py --runs 3 --clients 16 --requests 25

It only reads the database. For each run it times, in the same run:

- a plain ``count(*)`` of the window's deployments (the cost of reading the data);
- the uncached 90-day report for all services and for one service;
- the metrics page rendered in-process with a cold cache;

and prints the medians, each also as a ratio to the count in its run. Then it starts
gunicorn (2 workers) on loopback and measures the page's latency under concurrent
clients (p50 and p95, after one warm-up request), as a viewer would see it.
"""

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


class BenchViewerMiddleware:
    """For the gunicorn run only: every request comes from an (unsaved) admin, so the
    benchmark needs no user in the database it must not write to."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.contrib.auth.models import User

        request.user = User(username="bench", is_superuser=True, is_active=True)
        return self.get_response(request)


def _wsgi_application():
    from django.conf import settings

    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "dora.BenchViewerMiddleware"]
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


if os.environ.get("HINDSIGHT_DORA_BENCH_APP"):
    application = _wsgi_application()


def _millis(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _timed(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def _count_window(start, end) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM incidents_deployment "
            "WHERE finished_at >= %s AND finished_at < %s",
            [start, end],
        )
        return cursor.fetchone()[0]


def _render_page(days: int) -> None:
    from django.contrib.auth.models import User
    from django.test import RequestFactory

    from metrics.views import dashboard

    request = RequestFactory().get("/metrics/", {"days": str(days)})
    request.user = User(username="bench", is_superuser=True, is_active=True)
    response = dashboard(request)
    assert response.status_code == 200, response.status_code


def measure_in_process(*, runs: int, days: int) -> None:
    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection
    from django.utils import timezone

    from incidents.models import Service
    from metrics.dora import dora_report

    assert connection.vendor == "postgresql", "run this against PostgreSQL"
    one_service = (
        Service.objects.order_by("slug").values_list("slug", flat=True).first()
    )
    rows = {"count": [], "all": [], "one": [], "page": []}
    for run in range(runs):
        end = timezone.now()
        start = end - timedelta(days=days)
        count = None

        def count_rows(start=start, end=end):
            nonlocal count
            count = _count_window(start, end)

        rows["count"].append(_timed(count_rows))
        rows["all"].append(_timed(lambda s=start, e=end: dora_report(start=s, end=e)))
        rows["one"].append(
            _timed(
                lambda s=start, e=end: dora_report(start=s, end=e, service=one_service)
            )
        )
        cache.clear()
        rows["page"].append(_timed(lambda: _render_page(days)))
        print(
            f"run {run + 1}: {count} deployments in the window; "
            + ", ".join(f"{k} {_millis(v[-1])} ms" for k, v in rows.items()),
            flush=True,
        )

    base = statistics.median(rows["count"])
    print(f"\nMedians over {runs} runs ({days}-day window):")
    print(f"  count(*) of the window's deployments: {_millis(base)} ms")
    labels = {
        "all": "report, all services",
        "one": f"report, one service ({one_service})",
        "page": "metrics page, cold cache",
    }
    for key, label in labels.items():
        median = statistics.median(rows[key])
        ratios = [t / c for t, c in zip(rows[key], rows["count"], strict=True)]
        print(
            f"  {label}: {_millis(median)} ms, "
            f"{statistics.median(ratios):.1f}x the count(*)"
        )


def _client(port: int, path: str, requests: int, latencies: list, errors: list):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    for _ in range(requests):
        started = time.perf_counter()
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                errors.append(response.status)
        except (OSError, http.client.HTTPException) as error:
            errors.append(repr(error))
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
            continue
        latencies.append(time.perf_counter() - started)


def _wait_until_up(port: int, deadline: float) -> None:
    while time.time() < deadline:
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=2).connect()
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not start")


def measure_concurrent(*, clients: int, requests: int, days: int, port: int) -> None:
    env = {**os.environ, "HINDSIGHT_DORA_BENCH_APP": "1"}
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--chdir",
            str(ROOT / "bench"),
            "--pythonpath",
            f"{ROOT},{ROOT / 'bench'}",
            "--workers",
            "2",
            "--worker-class",
            "gthread",
            "--threads",
            "8",
            "--timeout",
            "600",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "dora:application",
        ],
        env=env,
    )
    path = f"/metrics/?days={days}"
    try:
        _wait_until_up(port, time.time() + 60)
        warm_up: list = []
        errors: list = []
        _client(port, path, 1, warm_up, errors)
        print(
            f"\nWarm-up (cold cache) page: {_millis(warm_up[0])} ms" if warm_up else ""
        )

        latencies: list = []
        threads = [
            threading.Thread(
                target=_client, args=(port, path, requests, latencies, errors)
            )
            for _ in range(clients)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)

    latencies.sort()
    p95 = latencies[max(int(len(latencies) * 0.95) - 1, 0)] if latencies else None
    print(
        f"Metrics page ({days} days) with {clients} concurrent clients, gunicorn 2 "
        f"workers: {len(latencies)} requests in {elapsed:.1f} s, "
        f"p50 {_millis(statistics.median(latencies))} ms, p95 {_millis(p95)} ms, "
        f"errors {len(errors)} {errors[:3]}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=25, help="per client")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--skip-concurrent", action="store_true")
    parser.add_argument("--skip-in-process", action="store_true")
    args = parser.parse_args()

    if not args.skip_in_process:
        measure_in_process(runs=args.runs, days=args.days)
    if not args.skip_concurrent:
        measure_concurrent(
            clients=args.clients,
            requests=args.requests,
            days=args.days,
            port=args.port,
        )


if __name__ == "__main__":
    main()
