"""Backup and restore time and size on the benchmark history.

    .venv/bin/python bench/backup.py [--runs 3] [--source hs_bench] [--scratch NAME]

Backs up the source database (read-only: pg_dump from one snapshot) with `manage.py
backup`, then restores each archive with `manage.py restore` into a scratch database
created empty for the run and dropped afterwards; never into the source. Prints the
median of the runs and writes bench/results/backup.json."""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG = ["-h", "127.0.0.1", "-U", "postgres"]


def manage(*args: str, database: str, work: Path) -> float:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "bench-only-" + "x" * 40,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "MEMORY_BANK_DIR": str(work / "memory-bank"),
        "BACKUP_DIR": str(work / "backups"),
    }
    env.pop("REDIS_URL", None)
    started = time.perf_counter()
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)
    return time.perf_counter() - started


def row_counts(database: str) -> dict[str, int]:
    query = (
        "SELECT 'deployments', count(*) FROM incidents_deployment UNION ALL "
        "SELECT 'commits', count(*) FROM incidents_commit UNION ALL "
        "SELECT 'incidents', count(*) FROM incidents_incident"
    )
    out = subprocess.run(
        ["psql", *PG, "-d", database, "-Atc", query],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {name: int(n) for name, n in (line.split("|") for line in out.split())}


def one_run(*, source: str, scratch: str, work: Path) -> dict:
    backup_seconds = manage("backup", "--no-prune", database=source, work=work)
    archive = max((work / "backups").glob("hindsight-*.tar"))
    size = archive.stat().st_size

    subprocess.run(["dropdb", *PG, "--if-exists", scratch], check=True)
    subprocess.run(["createdb", *PG, scratch], check=True)
    try:
        restore_seconds = manage("restore", str(archive), database=scratch, work=work)
        restored = row_counts(scratch)
    finally:
        subprocess.run(["dropdb", *PG, "--if-exists", scratch], check=True)
    archive.unlink()
    archive.with_name(archive.name + ".sha256").unlink()
    return {
        "backup_seconds": round(backup_seconds, 1),
        "restore_seconds": round(restore_seconds, 1),
        "archive_bytes": size,
        "restored_rows": restored,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--source", default="hs_bench")
    parser.add_argument("--scratch", default="hs_ops_restore")
    args = parser.parse_args()
    if args.scratch == args.source:
        sys.exit("The scratch database must not be the source.")

    source_rows = row_counts(args.source)
    size = subprocess.run(
        [
            "psql",
            *PG,
            "-d",
            args.source,
            "-Atc",
            "SELECT pg_database_size(current_database())",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    runs = []
    with tempfile.TemporaryDirectory(prefix="hindsight-bench-backup-") as scratch_dir:
        for number in range(args.runs):
            run = one_run(
                source=args.source, scratch=args.scratch, work=Path(scratch_dir)
            )
            assert run["restored_rows"] == source_rows, run
            runs.append(run)
            print(f"run {number + 1}: {run}", flush=True)

    result = {
        "source": args.source,
        "source_rows": source_rows,
        "source_database_bytes": int(size),
        "runs": runs,
        "median_backup_seconds": statistics.median(r["backup_seconds"] for r in runs),
        "median_restore_seconds": statistics.median(r["restore_seconds"] for r in runs),
        "median_archive_bytes": statistics.median(r["archive_bytes"] for r in runs),
    }
    out = ROOT / "bench" / "results" / "backup.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps({k: v for k, v in result.items() if k != "runs"}, indent=2))


if __name__ == "__main__":
    main()
