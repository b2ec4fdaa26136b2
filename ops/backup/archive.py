"""Backups as one tar file: the database (pg_dump's custom format on PostgreSQL, a
copy made with SQLite's online backup API otherwise), the memory-bank files, and a
manifest with each member's SHA-256 and the row count of every table. A sidecar
`<name>.sha256` holds the checksum of the whole archive (sha256sum -c reads it).

Restoring checks every checksum before touching the database, restores only into an
empty database, and then compares the row counts with the manifest."""

import hashlib
import io
import json
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

from ..version import hindsight_version
from .retention import backups_to_keep

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEMORY_BANK = "memory-bank"
NAME_PATTERN = re.compile(r"^hindsight-(\d{8}T\d{6}\.\d{6})Z\.tar$")
STALE_PARTIAL_AGE = timedelta(hours=6)
CHUNK = 1 << 20


class BackupError(Exception):
    """A backup that cannot be written, or an archive that must not be restored."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def backup_time(path: Path) -> datetime | None:
    match = NAME_PATTERN.match(path.name)
    if not match:
        return None
    return datetime.strptime(match[1], "%Y%m%dT%H%M%S.%f").replace(tzinfo=UTC)


# --- Database dump and restore -------------------------------------------------------


def _postgres_env() -> dict[str, str]:
    """libpq reads these, so the password never appears on a command line."""
    db = connection.settings_dict
    env = {**os.environ, "PGDATABASE": str(db["NAME"])}
    for setting, variable in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
    ):
        if db.get(setting):
            env[variable] = str(db[setting])
    return env


def _count_rows(cursor, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
        counts[table] = cursor.fetchone()[0]
    return counts


def _run(command: list[str]) -> None:
    result = subprocess.run(
        command, env=_postgres_env(), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[-2000:]}")


def _dump_postgres(target: Path, tables: list[str]) -> dict[str, int]:
    """Count the rows and dump them from one exported snapshot, so the counts in the
    manifest describe exactly the rows in the dump even while writes go on."""
    raw = connection.get_new_connection(connection.get_connection_params())
    try:
        raw.autocommit = False
        with raw.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            counts = _count_rows(cursor, tables)
            _run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    f"--file={target}",
                ]
            )
        raw.rollback()
    finally:
        raw.close()
    return counts


def _dump_sqlite(target: Path, tables: list[str]) -> dict[str, int]:
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)
        return _count_rows(copy.cursor(), tables)
    finally:
        copy.close()


def _restore_database(vendor: str, dump: Path) -> None:
    if vendor == "postgresql":
        _run(
            [
                "pg_restore",
                "--exit-on-error",
                "--single-transaction",
                "--no-owner",
                "--no-privileges",
                f"--dbname={connection.settings_dict['NAME']}",
                str(dump),
            ]
        )
        # pg_restore carries no planner statistics; without them the metric
        # queries run many times slower until autovacuum analyzes the tables.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        return

    connection.ensure_connection()
    source = sqlite3.connect(dump)
    try:
        source.backup(connection.connection)
    finally:
        source.close()


DUMPERS = {"postgresql": _dump_postgres, "sqlite": _dump_sqlite}
DUMP_NAMES = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}


# --- Writing a backup -----------------------------------------------------------------


def _copy_memory_bank(target: Path) -> None:
    target.mkdir()
    source = Path(settings.MEMORY_BANK_DIR)
    if not source.is_dir():
        return
    for path in sorted(source.iterdir()):
        if path.is_file() and not path.name.startswith("."):
            shutil.copy2(path, target / path.name)


def _manifest(work: Path, *, vendor: str, counts: dict[str, int], now) -> dict:
    files = {}
    for path in sorted(p for p in work.rglob("*") if p.is_file()):
        relative = path.relative_to(work).as_posix()
        files[relative] = {"sha256": sha256_of(path), "bytes": path.stat().st_size}
    return {
        "format": FORMAT_VERSION,
        "created_at": now.isoformat(),
        "hindsight_version": hindsight_version(),
        "database": {"vendor": vendor, "file": DUMP_NAMES[vendor], "rows": counts},
        "files": files,
    }


def _write_archive(work: Path, manifest: dict, target: Path) -> None:
    partial = target.with_name(target.name + ".partial")
    with tarfile.open(partial, "w") as archive:
        body = json.dumps(manifest, indent=2, sort_keys=True).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(body)
        info.mtime = int(timezone.now().timestamp())
        archive.addfile(info, io.BytesIO(body))
        for relative in manifest["files"]:
            archive.add(work / relative, arcname=relative, recursive=False)
    with open(partial, "rb") as written:
        os.fsync(written.fileno())
    partial.rename(target)

    sidecar = target.with_name(target.name + ".sha256")
    sidecar.write_text(f"{sha256_of(target)}  {target.name}\n")


def create_backup(*, directory: Path | None = None) -> Path:
    vendor = connection.vendor
    if vendor not in DUMPERS:
        raise BackupError(f"Backups support PostgreSQL and SQLite, not {vendor}")

    directory = Path(directory or settings.BACKUP_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    now = timezone.now()
    target = directory / f"hindsight-{now:%Y%m%dT%H%M%S.%f}Z.tar"

    with tempfile.TemporaryDirectory(dir=directory, prefix=".work-") as scratch:
        work = Path(scratch)
        tables = sorted(connection.introspection.table_names())
        counts = DUMPERS[vendor](work / DUMP_NAMES[vendor], tables)
        _copy_memory_bank(work / MEMORY_BANK)
        manifest = _manifest(work, vendor=vendor, counts=counts, now=now)
        _write_archive(work, manifest, target)

    logger.info(
        "Backup written: %s (%d bytes, %d tables, %d rows)",
        target.name,
        target.stat().st_size,
        len(counts),
        sum(counts.values()),
    )
    return target


# --- Checking and restoring -----------------------------------------------------------


def _check_sidecar(path: Path) -> None:
    sidecar = path.with_name(path.name + ".sha256")
    if not sidecar.exists():
        return
    expected = sidecar.read_text().split()[0]
    if sha256_of(path) != expected:
        raise BackupError(
            f"{path.name} does not match its checksum in {sidecar.name}: "
            "the archive is truncated or corrupted"
        )


def _read_manifest(archive: tarfile.TarFile) -> dict:
    try:
        member = archive.extractfile(MANIFEST)
        manifest = json.load(member)
    except (KeyError, AttributeError, ValueError) as error:
        raise BackupError(f"the archive has no readable manifest ({error})") from None
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    return manifest


def _check_members(archive: tarfile.TarFile, manifest: dict) -> None:
    members = {m.name: m for m in archive.getmembers() if m.isfile()}
    unexpected = set(members) - set(manifest["files"]) - {MANIFEST}
    if unexpected:
        raise BackupError(f"files not in the manifest: {', '.join(sorted(unexpected))}")

    for name, expected in manifest["files"].items():
        if name not in members:
            raise BackupError(f"{name} is missing from the archive")
        digest = hashlib.sha256()
        source = archive.extractfile(members[name])
        while chunk := source.read(CHUNK):
            digest.update(chunk)
        if digest.hexdigest() != expected["sha256"]:
            raise BackupError(f"{name} does not match its checksum in the manifest")


def verify_backup(path: Path) -> dict:
    """The manifest of a sound archive; BackupError for anything less."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path} does not exist")

    _check_sidecar(path)
    try:
        with tarfile.open(path, "r:") as archive:
            manifest = _read_manifest(archive)
            _check_members(archive, manifest)
    except (tarfile.TarError, EOFError, OSError) as error:
        raise BackupError(
            f"{path.name} is truncated or not a backup ({error})"
        ) from None
    return manifest


def _check_restored_rows(expected: dict[str, int]) -> None:
    with connection.cursor() as cursor:
        found = _count_rows(cursor, sorted(expected))
    wrong = {t: (found[t], n) for t, n in expected.items() if found[t] != n}
    if wrong:
        details = ", ".join(f"{t}: {got} not {n}" for t, (got, n) in wrong.items())
        raise BackupError(f"restored row counts differ from the backup: {details}")


def _restore_memory_bank(source: Path) -> int:
    target = Path(settings.MEMORY_BANK_DIR)
    target.mkdir(parents=True, exist_ok=True)
    files = (
        sorted(p for p in source.iterdir() if p.is_file()) if source.exists() else []
    )
    for path in files:
        # Through a temporary name, as the exporter writes: readers never see half.
        temporary = target / f".{path.name}.restoring"
        shutil.copy2(path, temporary)
        temporary.replace(target / path.name)
    return len(files)


def restore_backup(path: Path) -> dict:
    manifest = verify_backup(path)
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupError(
            f"this backup is of {vendor}, the database is {connection.vendor}"
        )
    existing = connection.introspection.table_names()
    if existing:
        raise BackupError(
            f"the database is not empty ({len(existing)} tables); "
            "restore into a new, empty database"
        )

    with tempfile.TemporaryDirectory(prefix="hindsight-restore-") as scratch:
        work = Path(scratch)
        with tarfile.open(path, "r:") as archive:
            archive.extractall(work, filter="data")
        _restore_database(vendor, work / manifest["database"]["file"])
        _check_restored_rows(manifest["database"]["rows"])
        files = _restore_memory_bank(work / MEMORY_BANK)

    rows = manifest["database"]["rows"]
    logger.info(
        "Restored %s: %d tables, %d rows",
        Path(path).name,
        len(rows),
        sum(rows.values()),
    )
    return {"tables": len(rows), "rows": sum(rows.values()), "memory_bank_files": files}


# --- Retention ------------------------------------------------------------------------


def prune_backups(
    *, directory: Path | None = None, now: datetime | None = None
) -> list[Path]:
    directory = Path(directory or settings.BACKUP_DIR)
    now = now or timezone.now()
    if not directory.is_dir():
        return []

    dated = {path: backup_time(path) for path in directory.glob("hindsight-*.tar")}
    dated = {path: moment for path, moment in dated.items() if moment is not None}
    keep = backups_to_keep(
        dated.values(),
        now=now,
        daily=settings.BACKUP_KEEP_DAILY,
        weekly=settings.BACKUP_KEEP_WEEKLY,
        monthly=settings.BACKUP_KEEP_MONTHLY,
    )
    doomed = sorted(path for path, moment in dated.items() if moment not in keep)
    # Left behind by a backup that was killed; never by one still running this long.
    cutoff = (now - STALE_PARTIAL_AGE).timestamp()
    leftovers = [*directory.glob("*.partial"), *directory.glob(".work-*")]
    doomed += [p for p in leftovers if p.stat().st_mtime < cutoff]

    for path in doomed:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        path.unlink(missing_ok=True)
        path.with_name(path.name + ".sha256").unlink(missing_ok=True)
        logger.info("Backup pruned: %s", path.name)
    return doomed
