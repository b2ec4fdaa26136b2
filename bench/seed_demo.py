"""Benchmark `manage.py seed_demo` on PostgreSQL: wall time and peak RSS, median of
several runs, each into a freshly created and migrated database.

    .venv/bin/python bench/seed_demo.py                      # 100k x3, 1M x2
    .venv/bin/python bench/seed_demo.py --sizes 100000 --runs 3
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure_command import (  # noqa: E402
    DEFAULT_DATABASE_URL,
    measure,
    recreate_database,
    summary,
)

# A fixed end of history, so every run writes exactly the same rows.
NOW = "2026-12-01T12:00:00Z"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=3, help="runs below 1M")
    parser.add_argument("--runs-large", type=int, default=2, help="runs at 1M+")
    options = parser.parse_args()

    lines = []
    for size in options.sizes:
        runs = []
        count = options.runs_large if size >= 1_000_000 else options.runs
        for number in range(count):
            print(f"seed_demo {size:,}: run {number + 1}/{count}", file=sys.stderr)
            recreate_database(options.database_url)
            args = ["seed_demo", "--deployments", str(size), "--seed", "1"]
            runs.append(measure([*args, "--now", NOW], options.database_url))
            print(f"  {runs[-1]}", file=sys.stderr)
        lines.append(summary(f"seed_demo --deployments {size:,}", runs))
        print(lines[-1], flush=True)

    print("\n".join(lines))


if __name__ == "__main__":
    main()
