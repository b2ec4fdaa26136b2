"""Atomic replacement: a reader sees the old file or the new one, never a part, even
when the writer dies between write and rename or two writers race."""

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from metrics.memory_bank import writer
from metrics.memory_bank.writer import remove_orphaned_temp_files, write_files

ROOT = Path(__file__).resolve().parents[2]
OLD = {"CLAUDE-incidents.md": b"old incidents\n", "CLAUDE-metrics.md": b"old metrics\n"}
NEW = {"CLAUDE-incidents.md": b"new incidents\n", "CLAUDE-metrics.md": b"new metrics\n"}


def temp_files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def contents(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in directory.iterdir() if p.suffix == ".md"}


def test_files_are_written_and_only_changed_ones_reported(tmp_path):
    assert write_files(tmp_path, OLD) == sorted(OLD)

    changed = write_files(
        tmp_path, {**OLD, "CLAUDE-metrics.md": NEW["CLAUDE-metrics.md"]}
    )

    assert changed == ["CLAUDE-metrics.md"]
    assert contents(tmp_path)["CLAUDE-metrics.md"] == NEW["CLAUDE-metrics.md"]
    assert temp_files(tmp_path) == []


def test_an_unchanged_file_is_not_rewritten(tmp_path):
    write_files(tmp_path, OLD)
    before = (tmp_path / "CLAUDE-metrics.md").stat()

    assert write_files(tmp_path, OLD) == []

    after = (tmp_path / "CLAUDE-metrics.md").stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_a_failure_between_write_and_rename_keeps_the_old_files_and_no_temp(
    tmp_path,
):
    write_files(tmp_path, OLD)

    def crash(temp: Path, final: Path) -> None:
        assert temp.read_bytes() == NEW[final.name]  # fully written, not yet renamed
        raise OSError("worker lost")

    with pytest.raises(OSError, match="worker lost"):
        write_files(tmp_path, NEW, before_replace=crash)

    assert contents(tmp_path) == OLD
    assert temp_files(tmp_path) == []


def test_a_worker_killed_between_write_and_rename_leaves_the_previous_files(
    tmp_path,
):
    write_files(tmp_path, OLD)
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from metrics.memory_bank.writer import write_files\n"
        "kill = lambda temp, final: os.kill(os.getpid(), signal.SIGKILL)\n"
        f"write_files(Path(sys.argv[1]), {NEW!r}, before_replace=kill)\n"
    )

    run = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], cwd=ROOT, capture_output=True
    )

    assert run.returncode == -signal.SIGKILL
    assert contents(tmp_path) == OLD
    orphans = temp_files(tmp_path)
    assert len(orphans) == 1  # the killed writer could not clean up after itself
    assert (tmp_path / orphans[0]).read_bytes() == NEW["CLAUDE-incidents.md"]

    assert write_files(tmp_path, NEW) == sorted(NEW)
    assert contents(tmp_path) == NEW
    assert temp_files(tmp_path) == []


def test_a_temp_file_of_a_live_writer_is_not_removed(tmp_path):
    live = tmp_path / writer._temp_prefix("CLAUDE-metrics.md")
    live = live.with_name(live.name + "abc123.tmp")
    live.write_bytes(b"half")

    assert remove_orphaned_temp_files(tmp_path) == 0
    assert live.exists()


def test_an_old_temp_file_from_another_host_is_removed(tmp_path):
    orphan = tmp_path / ".CLAUDE-metrics.md.elsewhere.42.abc123.tmp"
    orphan.write_bytes(b"half")
    two_hours_ago = orphan.stat().st_mtime - 7200
    os.utime(orphan, (two_hours_ago, two_hours_ago))

    assert remove_orphaned_temp_files(tmp_path) == 1
    assert not orphan.exists()


def test_racing_writers_never_show_a_reader_a_partial_file(tmp_path):
    versions = [bytes([65 + i]) * 200_000 for i in range(4)]
    write_files(tmp_path, {"CLAUDE-metrics.md": versions[0]})
    seen: set[bytes] = set()
    stop = threading.Event()

    def read_continuously():
        while not stop.is_set():
            seen.add((tmp_path / "CLAUDE-metrics.md").read_bytes())

    def write_repeatedly(data: bytes):
        for _ in range(15):
            write_files(tmp_path, {"CLAUDE-metrics.md": data})
            write_files(tmp_path, {"CLAUDE-metrics.md": versions[0]})

    reader = threading.Thread(target=read_continuously)
    writers = [threading.Thread(target=write_repeatedly, args=(v,)) for v in versions]
    reader.start()
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    stop.set()
    reader.join()

    assert seen <= set(versions)
    assert temp_files(tmp_path) == []
