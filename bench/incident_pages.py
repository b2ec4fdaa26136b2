"""Latency of the incident pages under load.

Seeds PostgreSQL with N incidents (default 100,000) and one incident with 200
timeline entries, starts gunicorn with 2 workers on 127.0.0.1, and sends 16
concurrent clients at the unfiltered list, a filtered list and the detail page.
Prints the median and p95 of each, per run and the median over runs.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hs_ui \\
        .venv/bin/python bench/incident_pages.py [--incidents 100000] [--runs 3]

Every loop is bounded by a request count and a time limit, and only 127.0.0.1 is
ever contacted.
"""

import argparse
import http.client
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
HOST = "127.0.0.1"


def _setup_django(var_dir: str) -> None:
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production")
    os.environ["HINDSIGHT_VAR_DIR"] = var_dir
    os.environ["DEBUG"] = "0"
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database of your own.")
    import django

    django.setup()


def seed(total: int, *, timeline: int, rng: random.Random) -> str:
    """Make the database hold ``total`` incidents; return the key of the one with
    ``timeline`` entries."""
    from django.contrib.auth.models import Group, User
    from django.db import transaction

    from accounts.models import Role
    from incidents.models import Incident, Service, TimelineEntry

    services = [
        Service.objects.get_or_create(slug=f"svc-{n:02d}", defaults={"name": f"S{n}"})[
            0
        ]
        for n in range(20)
    ]
    responders = Group.objects.get(name=Role.RESPONDER)
    people = []
    for n in range(10):
        user, _ = User.objects.get_or_create(username=f"oncall-{n}")
        user.groups.add(responders)
        people.append(user)

    have = Incident.objects.count()
    now = datetime.now(UTC)
    through = Incident.services.through
    batch = 10_000
    while have < total:
        size = min(batch, total - have)
        rows = []
        for _ in range(size):
            started = now - timedelta(minutes=rng.randrange(1, 3 * 365 * 24 * 60))
            # About one in 2,000 stays open, as in a real history.
            is_open = rng.random() < 0.0005
            resolved = (
                None if is_open else started + timedelta(minutes=rng.randint(5, 600))
            )
            rows.append(
                Incident(
                    title=f"{rng.choice(_WHAT)} in {rng.choice(_WHERE)}",
                    summary=rng.choice(_SUMMARIES),
                    severity=rng.choice(Incident.Severity.values),
                    status=Incident.Status.INVESTIGATING if is_open else "resolved",
                    started_at=started,
                    detected_at=started + timedelta(minutes=2),
                    mitigated_at=resolved,
                    resolved_at=resolved,
                    commander=rng.choice(people),
                )
            )
        with transaction.atomic():
            created = Incident.objects.bulk_create(rows)
            through.objects.bulk_create(
                through(incident_id=i.pk, service_id=rng.choice(services).pk)
                for i in created
            )
            TimelineEntry.objects.bulk_create(
                TimelineEntry(
                    incident_id=i.pk,
                    kind=TimelineEntry.Kind.NOTE,
                    occurred_at=i.started_at + timedelta(minutes=3),
                    body=rng.choice(_NOTES),
                    body_html=f"<p>{rng.choice(_NOTES)}</p>",
                )
                for i in created
                if rng.random() < 0.2
            )
        have += size
        print(f"  seeded {have:,} incidents", flush=True)

    return _long_incident(services[0], timeline)


def _long_incident(service, timeline: int) -> str:
    from incidents.models import Incident, TimelineEntry

    title = "Bench: incident with a long timeline"
    incident = Incident.objects.filter(title=title).first()
    if incident is None:
        start = datetime.now(UTC) - timedelta(days=1)
        incident = Incident.objects.create(
            title=title, severity="SEV1", started_at=start, detected_at=start
        )
        incident.services.add(service)
    missing = timeline - incident.timeline.count()
    TimelineEntry.objects.bulk_create(
        TimelineEntry(
            incident=incident,
            kind=TimelineEntry.Kind.NOTE,
            occurred_at=incident.started_at + timedelta(minutes=n),
            body=f"Step {n}: checked the **replica** lag",
            body_html=f"<p>Step {n}: checked the <strong>replica</strong> lag</p>",
        )
        for n in range(max(missing, 0))
    )
    return incident.key


def session_cookie() -> str:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import Group, User
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.models import Role

    user, _ = User.objects.get_or_create(username="bench-viewer")
    user.groups.add(Group.objects.get(name=Role.VIEWER))
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def free_port() -> int:
    # Another benchmark on this machine may hold a fixed port; ask the kernel.
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def start_gunicorn(port: int, workers: int, var_dir: str) -> subprocess.Popen:
    env = dict(os.environ, ALLOWED_HOSTS=HOST)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi",
            f"--workers={workers}",
            f"--bind={HOST}:{port}",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn exited with {server.returncode}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/accounts/login/")
            conn.getresponse().read()
            return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    sys.exit("gunicorn did not answer within 30 s")


def load(
    port: int, path: str, cookie: str, *, clients: int, requests: int, limit: float
) -> list[float]:
    """``requests`` GETs of ``path`` from ``clients`` threads with keep-alive, or as
    many as fit in ``limit`` seconds; returns each latency in milliseconds."""
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    remaining = [requests]
    deadline = time.monotonic() + limit

    def client() -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        while time.monotonic() < deadline:
            with lock:
                if remaining[0] <= 0:
                    break
                remaining[0] -= 1
            began = time.perf_counter()
            conn.request("GET", path, headers={"Cookie": cookie})
            response = conn.getresponse()
            response.read()
            elapsed = (time.perf_counter() - began) * 1000
            with lock:
                if response.status == 200:
                    latencies.append(elapsed)
                else:
                    failures.append(str(response.status))
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        sys.exit(f"{path}: {len(failures)} requests failed ({failures[0]})")
    return latencies


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--timeline", type=int, default=200)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--port", type=int, default=0, help="default: a free one")
    args = parser.parse_args()

    var_dir = tempfile.mkdtemp(prefix="hindsight-bench-")
    _setup_django(var_dir)
    print(f"Seeding to {args.incidents:,} incidents")
    began = time.monotonic()
    key = seed(args.incidents, timeline=args.timeline, rng=random.Random(42))
    print(f"  ready in {time.monotonic() - began:.0f} s")
    from django.db import connection

    with connection.cursor() as cursor:
        # What autovacuum would do by itself soon after a bulk load.
        for table in ("incident", "incident_services", "timelineentry"):
            cursor.execute(f"VACUUM ANALYZE incidents_{table}")
    cookie = session_cookie()

    pages = {
        "list, unfiltered": "/incidents/",
        "list, filtered": "/incidents/?status=resolved&severity=SEV1&service=svc-03",
        "list, text search": "/incidents/?q=replica",
        f"detail, {args.timeline} entries": f"/incidents/{key}/",
    }
    port = args.port or free_port()
    server = start_gunicorn(port, args.workers, var_dir)
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in pages}
    serial: dict[str, float] = {}
    try:
        # One client first: the time a request takes on its own, without queueing.
        for name, path in pages.items():
            load(port, path, cookie, clients=1, requests=10, limit=30)
            alone = load(port, path, cookie, clients=1, requests=50, limit=60)
            serial[name] = statistics.median(alone)
            print(f"alone {name:<24} median {serial[name]:6.1f} ms", flush=True)
        for run in range(1, args.runs + 1):
            for name, path in pages.items():
                load(port, path, cookie, clients=4, requests=40, limit=30)
                latencies = load(
                    port,
                    path,
                    cookie,
                    clients=args.clients,
                    requests=args.requests,
                    limit=args.time_limit,
                )
                median, high = statistics.median(latencies), p95(latencies)
                results[name].append((median, high))
                print(
                    f"run {run} {name:<24} n={len(latencies):>4} "
                    f"median {median:6.1f} ms  p95 {high:6.1f} ms",
                    flush=True,
                )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(var_dir, ignore_errors=True)

    print(
        f"\n{args.incidents:,} incidents, gunicorn {args.workers} workers, "
        f"{args.clients} clients; medians over {args.runs} runs:"
    )
    for name, runs in results.items():
        median = statistics.median(m for m, _ in runs)
        high = statistics.median(h for _, h in runs)
        print(
            f"  {name:<24} median {median:6.1f} ms  p95 {high:6.1f} ms"
            f"  (one client alone: {serial[name]:.1f} ms)"
        )
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


_WHAT = ["Elevated 5xx", "Latency spike", "Timeouts", "Queue backlog", "Login errors"]
_WHERE = ["checkout", "search", "payments API", "the CDN edge", "the batch jobs"]
_SUMMARIES = ["", "Customers saw errors.", "Degraded for some regions.", ""]
_NOTES = [
    "Paged the on-call.",
    "Rolled back the last deployment.",
    "Replica lag above 30 s.",
    "Failover finished.",
    "Customer support informed.",
]

if __name__ == "__main__":
    main()
