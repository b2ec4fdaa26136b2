"""Deploy-gate latency and SLO evaluation time on PostgreSQL.

Data: 500 services with one SLO each and 100,000 incidents over the last year
(seeded once with bulk_create, marked by the ``bench-`` slug prefix).
Measures:
  1. the time to compute every SLO's budget (``slo_statuses``) and to run the
     beat task's work (``evaluate_slos``, which also writes budget states);
  2. ``GET /api/gate/`` latency, median and p95, with 16 concurrent clients
     against gunicorn with 2 workers on loopback.

Run:  DATABASE_URL=postgres://postgres@127.0.0.1:5432/hs_slo \\
      .venv/bin/python bench/gate.py [--rounds 3] [--requests 100]
"""

import argparse
import http.client
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import ApiToken  # noqa: E402
from accounts.services import create_api_token  # noqa: E402
from incidents.models import Incident, Service  # noqa: E402
from metrics.models import SLO  # noqa: E402
from metrics.slo import slo_statuses  # noqa: E402
from metrics.slo.selectors import slos_with_service  # noqa: E402
from metrics.slo.services import evaluate_slos  # noqa: E402

SERVICES = 500
INCIDENTS = 100_000
CLIENTS = 16
TOKEN_FILE = ROOT / "var" / "bench-gate-token"


def seed() -> None:
    if Service.objects.filter(slug__startswith="bench-").count() >= SERVICES:
        print("data already seeded")
        return
    rng = random.Random(42)
    now = timezone.now()
    with transaction.atomic():
        services = Service.objects.bulk_create(
            Service(slug=f"bench-{i:03d}", name=f"Bench {i}") for i in range(SERVICES)
        )
        SLO.objects.bulk_create(
            SLO(
                service=s,
                name="availability",
                target_percent=Decimal(rng.choice(["99.9", "99.5", "99"])),
            )
            for s in services
        )
        incidents = []
        for _ in range(INCIDENTS):
            start = now - timedelta(minutes=rng.randint(10, 365 * 1440))
            is_open = rng.random() < 0.01
            end = None if is_open else start + timedelta(minutes=rng.randint(2, 240))
            incidents.append(
                Incident(
                    title="bench",
                    severity=rng.choice(["SEV1", "SEV2", "SEV3", "SEV4"]),
                    status="investigating" if is_open else "resolved",
                    started_at=start,
                    detected_at=start,
                    resolved_at=end,
                    mitigated_at=end,
                    impact_percent=rng.choice([100, 50, 20, 5]),
                )
            )
        incidents = Incident.objects.bulk_create(incidents, batch_size=5000)
        through = Incident.services.through
        links = []
        for incident in incidents:
            picked = rng.sample(services, 2 if rng.random() < 0.1 else 1)
            links += [through(incident=incident, service=s) for s in picked]
        through.objects.bulk_create(links, batch_size=10_000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"seeded {SERVICES} services, {INCIDENTS} incidents, {len(links)} links")


def token() -> str:
    if TOKEN_FILE.exists() and ApiToken.objects.filter(name="bench-gate").exists():
        return TOKEN_FILE.read_text().strip()
    ApiToken.objects.filter(name="bench-gate").delete()
    _, raw = create_api_token(name="bench-gate")
    TOKEN_FILE.parent.mkdir(parents=True, exist_ok=True)
    TOKEN_FILE.write_text(raw)
    return raw


def timed(function, rounds: int) -> list[float]:
    durations = []
    for _ in range(rounds):
        began = time.perf_counter()
        function()
        durations.append(time.perf_counter() - began)
    return durations


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


PORT = free_port()


def client_loop(raw: str, requests: int, seed_: int, out: list[float]) -> None:
    rng = random.Random(seed_)
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    headers = {"Authorization": f"Bearer {raw}"}
    for _ in range(requests):
        path = f"/api/gate/?service=bench-{rng.randrange(SERVICES):03d}"
        path += "&environment=production"
        began = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        out.append(time.perf_counter() - began)
        if response.status != 200:
            raise SystemExit(f"gate answered {response.status}")
    conn.close()


def load_round(raw: str, requests: int, clients: int) -> list[float]:
    results: list[list[float]] = [[] for _ in range(clients)]
    threads = [
        threading.Thread(target=client_loop, args=(raw, requests, i, results[i]))
        for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [latency for result in results for latency in result]


def wait_for_server(server: subprocess.Popen) -> None:
    for _ in range(100):
        if server.poll() is not None:
            raise SystemExit("gunicorn exited")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[94]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=100, help="per client")
    parser.add_argument("--clients", type=int, default=CLIENTS)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database (hs_slo).")

    seed()
    raw = token()
    slos = slos_with_service()
    compute = timed(lambda: slo_statuses(slos), args.rounds)
    evaluate = timed(evaluate_slos, args.rounds)
    print(
        f"budgets of {len(slos)} SLOs: median {statistics.median(compute):.3f} s; "
        f"evaluate_slos (with state writes): median "
        f"{statistics.median(evaluate):.3f} s"
    )

    env = {**os.environ, "DEBUG": "0", "ALLOWED_HOSTS": "127.0.0.1,localhost"}
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "config.wsgi",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_for_server(server)
        load_round(raw, 10, args.clients)  # warm-up: connections, imports, caches
        medians, p95s = [], []
        for index in range(args.rounds):
            latencies = load_round(raw, args.requests, args.clients)
            medians.append(statistics.median(latencies) * 1000)
            p95s.append(p95(latencies) * 1000)
            print(
                f"round {index + 1}: {len(latencies)} gate calls, "
                f"median {medians[-1]:.1f} ms, p95 {p95s[-1]:.1f} ms"
            )
        print(
            f"gate with {args.clients} clients, gunicorn 2 workers: median of medians "
            f"{statistics.median(medians):.1f} ms, median p95 "
            f"{statistics.median(p95s):.1f} ms"
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
