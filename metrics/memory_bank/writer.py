"""Atomic file replacement for the memory bank, free of Django so that it can run in
a bare process.

Each file is written to a temporary file in the same directory, flushed and fsynced,
then moved over the old one with ``os.replace``, which is atomic on POSIX within one
file system. A reader therefore sees the old file or the new one, never a mix, even if
the writer is killed or two writers race (the last rename wins, each file whole)."""

import logging
import os
import socket
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

logger = logging.getLogger(__name__)

TEMP_SUFFIX = ".tmp"
# A temporary file this old is an orphan, whoever left it.
STALE_TEMP_SECONDS = 3600


def write_files(
    directory: Path,
    contents: dict[str, bytes],
    *,
    before_replace: Callable[[Path, Path], None] | None = None,
) -> list[str]:
    """Write each name -> bytes into ``directory``; return the names that changed.

    A file whose bytes are already on disk is left untouched (same mtime), so that
    watchers and caches see no change when the data has none."""
    directory.mkdir(parents=True, exist_ok=True)
    remove_orphaned_temp_files(directory)

    changed = []
    for name in sorted(contents):
        if write_atomic(
            directory / name, contents[name], before_replace=before_replace
        ):
            changed.append(name)
    if changed:
        _fsync_directory(directory)
    return changed


def write_atomic(
    path: Path,
    data: bytes,
    *,
    before_replace: Callable[[Path, Path], None] | None = None,
) -> bool:
    if _same_bytes(path, data):
        return False

    fd, temp_name = tempfile.mkstemp(
        dir=path.parent, prefix=_temp_prefix(path.name), suffix=TEMP_SUFFIX
    )
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)  # mkstemp makes it private; readers need it
        if before_replace is not None:
            before_replace(temp, path)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return True


def remove_orphaned_temp_files(directory: Path) -> int:
    """Remove temporary files left by a writer that died before its rename.

    A file is an orphan when the process named in it (on this host) is gone, or when
    it is older than an hour (a writer on another host sharing the directory)."""
    removed = 0
    host = socket.gethostname()
    for temp in directory.glob(f".*{TEMP_SUFFIX}"):
        if _is_orphan(temp, host):
            temp.unlink(missing_ok=True)
            removed += 1
    if removed:
        logger.info("Removed %d orphaned temporary files in %s", removed, directory)
    return removed


def _temp_prefix(name: str) -> str:
    return f".{name}.{socket.gethostname()}.{os.getpid()}."


def _is_orphan(temp: Path, host: str) -> bool:
    try:
        age = time.time() - temp.stat().st_mtime
    except FileNotFoundError:
        return False
    if age > STALE_TEMP_SECONDS:
        return True

    parts = temp.name.split(".")
    # ".<name>.md.<host>.<pid>.<random>.tmp": the host may itself hold dots.
    pid_text = parts[-3] if len(parts) >= 7 else ""
    writer_host = ".".join(parts[3:-3])
    if writer_host != host or not pid_text.isdigit():
        return False
    return not _process_alive(int(pid_text))


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        if path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except FileNotFoundError:
        return False


def _fsync_directory(directory: Path) -> None:
    # Makes the renames themselves durable across a power cut.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
