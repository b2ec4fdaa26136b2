"""Deployment ingestion throughput and latency through the real stack.

Starts gunicorn (2 sync workers) on loopback against PostgreSQL, then 16 client
threads POST deployments with 10 commits each: first new ones (201), then the same
bodies again (idempotent repeats, 200). Reports deployments per second and p95
latency for each phase, per run and as the median of the runs.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hs_api \
        .venv/bin/python bench/api_ingest.py --runs 5 --requests 800
"""

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CLIENTS = 16
COMMITS = 10


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(database_url: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "bench-only-secret-key",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "ALLOWED_HOSTS": "127.0.0.1",
    }


def manage(env: dict, *args: str) -> str:
    done = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def start_gunicorn(env: dict, port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--backlog",
            "256",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("gunicorn did not start within 30 s")


def body(run: str, n: int) -> bytes:
    commits = [
        {
            "sha": uuid.uuid5(uuid.NAMESPACE_OID, f"{run}-{n}-{c}").hex,
            "committed_at": f"2025-05-01T{c:02d}:00:00Z",
            "authored_at": f"2025-05-01T{c:02d}:00:00+02:00",
            "author": "Bench Mark",
            "message": f"Change {c} of deployment {n}",
        }
        for c in range(COMMITS)
    ]
    return json.dumps(
        {
            "service": f"bench-{n % 8}",
            "environment": "production",
            "version": f"{run}-{n}",
            "status": "success",
            "started_at": "2025-05-02T09:00:00Z",
            "finished_at": "2025-05-02T09:05:00Z",
            "external_id": f"{run}-{n}",
            "commits": commits,
        }
    ).encode()


def phase(port: int, token: str, bodies: list[bytes], expected: int) -> dict:
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    next_index = iter(range(len(bodies)))

    def client():
        while True:
            with lock:
                index = next(next_index, None)
            if index is None:
                return
            started = time.perf_counter()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            connection.request(
                "POST",
                "/api/deployments/",
                body=bodies[index],
                headers={
                    "Authorization": f"Bearer {token}",
                    "Content-Type": "application/json",
                },
            )
            response = connection.getresponse()
            response.read()
            connection.close()
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if response.status != expected:
                    failures.append(str(response.status))

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started

    latencies.sort()
    return {
        "per_second": len(bodies) / wall,
        "p95_ms": latencies[int(0.95 * (len(latencies) - 1))] * 1000,
        "median_ms": statistics.median(latencies) * 1000,
        "unexpected": len(failures),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--requests", type=int, default=800)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hs_api"
        ),
    )
    args = parser.parse_args()

    env = server_env(args.database_url)
    manage(env, "migrate", "--no-input")
    token_name = f"bench-{uuid.uuid4().hex[:8]}"
    token = manage(env, "create_api_token", token_name).splitlines()[-1]
    port = free_port()
    server = start_gunicorn(env, port)
    results = {"new": [], "repeat": []}
    try:
        for run_number in range(args.runs):
            run = uuid.uuid4().hex[:10]
            bodies = [body(run, n) for n in range(args.requests)]
            new = phase(port, token, bodies, expected=201)
            repeat = phase(port, token, bodies, expected=200)
            results["new"].append(new)
            results["repeat"].append(repeat)
            print(
                f"run {run_number + 1}: new {new['per_second']:.0f}/s "
                f"p95 {new['p95_ms']:.0f} ms ({new['unexpected']} unexpected); "
                f"repeat {repeat['per_second']:.0f}/s p95 {repeat['p95_ms']:.0f} ms "
                f"({repeat['unexpected']} unexpected)",
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(timeout=30)

    print(
        f"\n{args.runs} runs x {args.requests} deployments ({COMMITS} commits each), "
        f"{CLIENTS} clients, gunicorn 2 workers, {args.database_url.split('@')[-1]}"
    )
    for name, rows in results.items():
        rate = statistics.median(r["per_second"] for r in rows)
        p95 = statistics.median(r["p95_ms"] for r in rows)
        typical = statistics.median(r["median_ms"] for r in rows)
        print(
            f"{name:>6}: median {rate:.0f} deployments/s, p95 {p95:.0f} ms, "
            f"median latency {typical:.0f} ms"
        )


if __name__ == "__main__":
    main()
