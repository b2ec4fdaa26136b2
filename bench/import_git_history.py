"""Benchmark `manage.py import_git_history` on a generated repository (by default
2,000 tags and 100,000 commits) into PostgreSQL: wall time and peak RSS, median of
several runs, each into a freshly created and migrated database.

    .venv/bin/python bench/import_git_history.py
    .venv/bin/python bench/import_git_history.py --commits 10000 --tags 200 --runs 1

The repository is written with one `git fast-import` stream (seconds, not the hours
that 100,000 `git commit` calls would take). Its shape exercises what the importer
must handle: a main line with short feature branches merged back, annotated and
lightweight tags, some tags on a branch before its merge, and some tags dated
earlier than the tag before them.
"""

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure_command import (  # noqa: E402
    DEFAULT_DATABASE_URL,
    measure,
    recreate_database,
    summary,
)

START = 1_700_000_000  # 2023-11-14 22:13:20 UTC
STEP = 600  # seconds between commits
BRANCH_EVERY = 25  # main-line commits between feature branches
BRANCH_LENGTH = 2


class Stream:
    """Writes the fast-import commands for one repository."""

    def __init__(self, pipe):
        self.pipe = pipe
        self.mark = 0

    def _data(self, text: str) -> None:
        body = text.encode()
        self.pipe.write(b"data %d\n" % len(body) + body + b"\n")

    def commit(self, ref: str, when: int, parents: list[int]) -> int:
        self.mark += 1
        who = f"Dev {self.mark % 37} <dev{self.mark % 37}@example.com> {when} +0000"
        self.pipe.write(
            f"commit {ref}\nmark :{self.mark}\nauthor {who}\ncommitter {who}\n".encode()
        )
        self._data(f"Change number {self.mark}\n")
        if parents:
            self.pipe.write(f"from :{parents[0]}\n".encode())
        for parent in parents[1:]:
            self.pipe.write(f"merge :{parent}\n".encode())
        self.pipe.write(f"M 644 inline file-{self.mark % 100}.txt\n".encode())
        self._data(f"{self.mark}\n")
        return self.mark

    def annotated_tag(self, name: str, mark: int, when: int) -> None:
        self.pipe.write(
            f"tag {name}\nfrom :{mark}\n"
            f"tagger Release Bot <bot@example.com> {when} +0000\n".encode()
        )
        self._data(f"Release {name}\n")

    def lightweight_tag(self, name: str, mark: int) -> None:
        self.pipe.write(f"reset refs/tags/{name}\nfrom :{mark}\n\n".encode())


def generate(path: Path, *, commits: int, tags: int) -> None:
    if path.exists():
        shutil.rmtree(path)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    process = subprocess.Popen(
        ["git", "-C", str(path), "fast-import", "--quiet"], stdin=subprocess.PIPE
    )
    stream = Stream(process.stdin)
    per_tag = commits // tags
    head = None
    tagged = 0
    branch_tip = None

    def when(mark: int) -> int:
        return START + mark * STEP

    while stream.mark < commits:
        main_parents = [head] if head else []
        if branch_tip is not None:
            main_parents.append(branch_tip)
            branch_tip = None
        head = stream.commit("refs/heads/main", when(stream.mark + 1), main_parents)

        # A short feature branch off the main line, merged by the next main commit.
        if stream.mark % BRANCH_EVERY == 0 and stream.mark + BRANCH_LENGTH < commits:
            tip = head
            for _ in range(BRANCH_LENGTH):
                tip = stream.commit("refs/heads/feature", when(stream.mark + 1), [tip])
            branch_tip = tip

        if stream.mark >= (tagged + 1) * per_tag and tagged < tags:
            tagged += 1
            name = f"v{tagged // 100}.{tagged % 100}.0"
            # Every 50th tag is cut from the feature branch before its merge.
            target = branch_tip if (tagged % 50 == 0 and branch_tip) else head
            if tagged % 2:
                stream.lightweight_tag(name, target)
                continue
            tag_time = when(stream.mark) + 1_800
            if tagged % 40 == 0:
                # Tagged (dated) before the tag before it: clock skew or a late tag.
                tag_time -= per_tag * STEP * 2
            stream.annotated_tag(name, target, tag_time)

    process.stdin.close()
    if process.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "-C", str(path), "checkout", "-q", "main"], check=True)


def count(path: Path, *args: str) -> int:
    output = subprocess.run(
        ["git", "-C", str(path), *args], capture_output=True, text=True, check=True
    ).stdout
    return len(output.split())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--repo", type=Path, default=Path("/tmp/hindsight-bench-repo"))
    parser.add_argument("--commits", type=int, default=100_000)
    parser.add_argument("--tags", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()

    started = time.monotonic()
    generate(options.repo, commits=options.commits, tags=options.tags)
    commits = count(options.repo, "rev-list", "--all")
    tags = count(options.repo, "tag", "--list")
    print(
        f"Generated {options.repo}: {commits:,} commits, {tags:,} tags in "
        f"{time.monotonic() - started:.1f} s",
        flush=True,
    )

    runs = []
    for number in range(options.runs):
        print(f"import_git_history: run {number + 1}/{options.runs}", file=sys.stderr)
        recreate_database(options.database_url)
        args = ["import_git_history", str(options.repo), "--service", "bench-repo"]
        runs.append(measure(args, options.database_url))
        print(f"  {runs[-1]}", file=sys.stderr)
    label = f"import_git_history {tags:,} tags / {commits:,} commits"
    print(summary(label, runs))


if __name__ == "__main__":
    main()
