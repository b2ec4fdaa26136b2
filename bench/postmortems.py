"""Postmortem figures for issue 5.

1. Render time of a 50 KB postmortem (Markdown -> sanitized HTML), median of runs.
2. Save latency under 16 concurrent editors: direct calls of save_postmortem from 16
   threads, each with its own database connection (no HTTP). Two scenarios:
   - "same": all 16 edit one postmortem. Each round, every editor reads the same
     version, waits at a barrier, then saves: exactly one save per round can win,
     so the expected number of conflicts is 15 per round.
   - "own": each editor saves its own postmortem; no conflict is expected.

Run against PostgreSQL (the figures in the report come from there):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hs_pm \
        .venv/bin/python bench/postmortems.py --rounds 40 --runs 15
The bench creates its own incidents and deletes them at the end."""

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.db import connection, connections  # noqa: E402
from django.utils import timezone  # noqa: E402

from incidents.errors import ConflictError  # noqa: E402
from incidents.markdown import render_markdown  # noqa: E402
from incidents.models import Incident, Postmortem, Service  # noqa: E402
from incidents.services.postmortems import save_postmortem  # noqa: E402

EDITORS = 16
BENCH_TITLE = "bench-postmortems"


def document(target_bytes: int = 50_000) -> str:
    """Realistic Markdown: headings, paragraphs, tables, code, lists, non-ASCII."""
    parts = ["# Postmortem: checkout refused payments in Zürich\n\n[TOC]\n"]
    n = 0
    while sum(len(p.encode()) for p in parts) < target_bytes:
        n += 1
        parts.append(
            f"\n## Section {n}: what we saw\n\n"
            "The **payment gateway** returned `502` for a share of requests; "
            "retries *amplified* the load. See [the runbook](https://runbooks.example"
            f"/pay#{n}) and the dashboard.\n\n"
            "| Time (CET) | Event | Who |\n|:--|:--|--:|\n"
            f"| 12:{n % 60:02d} | Alert fired — «latency p99 > 2s» | on-call |\n"
            f"| 12:{(n + 3) % 60:02d} | Rolled back v{n} | deploy bot |\n\n"
            "```python\ndef retry(budget):\n    return budget * 0.5  # halve\n```\n\n"
            "- a contributing factor\n- another one, naïve but true\n"
            "  - nested detail with <kbd>Ctrl</kbd>\n"
        )
    return "".join(parts)


def bench_render(runs: int) -> dict:
    text = document()
    render_markdown(text)  # warm the imports and regexes
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        render_markdown(text)
        timings.append(time.perf_counter() - start)
    return {
        "bytes": len(text.encode()),
        "runs": runs,
        "median_ms": statistics.median(timings) * 1000,
        "min_ms": min(timings) * 1000,
        "max_ms": max(timings) * 1000,
    }


def make_postmortem(n: int) -> Postmortem:
    service, _ = Service.objects.get_or_create(slug="bench-pm", defaults={"name": "b"})
    incident = Incident.objects.create(
        title=f"{BENCH_TITLE} {n}", severity="SEV3", started_at=timezone.now()
    )
    incident.services.set([service])
    return Postmortem.objects.create(incident=incident, body="start\n")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = share * (len(ordered) - 1)
    low = int(index)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (index - low)


def bench_saves(*, rounds: int, shared: bool, body: str) -> dict:
    postmortems = (
        [make_postmortem(0)] * EDITORS
        if shared
        else [make_postmortem(n) for n in range(EDITORS)]
    )
    barrier = threading.Barrier(EDITORS)
    latencies: list[float] = []
    outcomes = {"saved": 0, "conflicts": 0}
    lock = threading.Lock()

    def editor(number: int) -> None:
        postmortem = Postmortem.objects.get(pk=postmortems[number].pk)
        for round_number in range(rounds):
            postmortem.refresh_from_db()
            base = postmortem.version
            barrier.wait()  # everyone has read before anyone saves
            text = f"{body}\n\nEditor {number}, round {round_number}.\n"
            start = time.perf_counter()
            try:
                save_postmortem(
                    postmortem=postmortem, body=text, base_version=base, actor=None
                )
                outcome = "saved"
            except ConflictError:
                outcome = "conflicts"
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)
                outcomes[outcome] += 1
            barrier.wait()  # the round ends for everyone before the next read
        connections.close_all()

    threads = [threading.Thread(target=editor, args=(n,)) for n in range(EDITORS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started

    expected_conflicts = rounds * (EDITORS - 1) if shared else 0
    versions = sorted({p.pk for p in postmortems})
    final = Postmortem.objects.filter(pk__in=versions)
    return {
        "scenario": "same postmortem" if shared else "own postmortem",
        "editors": EDITORS,
        "rounds": rounds,
        "saves": len(latencies),
        "saved": outcomes["saved"],
        "conflicts": outcomes["conflicts"],
        "expected_conflicts": expected_conflicts,
        "final_versions": sorted(p.version for p in final),
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p95_ms": percentile(latencies, 0.95) * 1000,
        "max_ms": max(latencies) * 1000,
        "wall_s": wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--body-bytes", type=int, default=10_000)
    args = parser.parse_args()

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    render = bench_render(args.runs)
    print(
        "render {bytes} bytes: median {median_ms:.1f} ms "
        "(min {min_ms:.1f}, max {max_ms:.1f}) over {runs} runs".format(**render)
    )

    body = document(args.body_bytes)
    try:
        for shared in (True, False):
            result = bench_saves(rounds=args.rounds, shared=shared, body=body)
            print(
                "saves, {scenario}: {editors} editors x {rounds} rounds = {saves} "
                "saves; saved {saved}, conflicts {conflicts} (expected "
                "{expected_conflicts}); p50 {p50_ms:.1f} ms, p95 {p95_ms:.1f} ms, "
                "max {max_ms:.1f} ms; wall {wall_s:.1f} s".format(**result)
            )
    finally:
        Incident.objects.filter(title__startswith=BENCH_TITLE).delete()
        Service.objects.filter(slug="bench-pm").delete()


if __name__ == "__main__":
    main()
