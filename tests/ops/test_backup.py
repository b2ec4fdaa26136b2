import io
import os
import tarfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from incidents.models import Deployment, Incident, TimelineEntry
from ops.backup import (
    BackupError,
    create_backup,
    prune_backups,
    restore_backup,
    verify_backup,
)

from ..factories import at, make_deployment, make_incident, make_note, make_service

pytestmark = pytest.mark.django_db(transaction=True)

# The record below lies in January 2025; exporting as of a fixed instant makes two
# exports of the same record byte for byte the same.
AS_OF = "2025-02-01T00:00:00Z"


@pytest.fixture
def dirs(settings, tmp_path):
    settings.BACKUP_DIR = tmp_path / "backups"
    settings.MEMORY_BANK_DIR = tmp_path / "memory-bank"
    settings.MEMORY_BANK_DIR.mkdir()
    return settings


@pytest.fixture
def record():
    service = make_service("checkout")
    deployment = make_deployment(service, version="1.2.3")
    incident = make_incident([service], title="Checkout down", caused_by=deployment)
    make_note(incident, "Rolled back")
    return incident


@pytest.fixture
def wipe_database():
    """Drop every table, as a lost database would leave the server; migrate again
    afterwards if the test left the database empty, for the tests that follow."""
    yield _drop_all_tables
    if not connection.introspection.table_names():
        call_command("migrate", verbosity=0)


def _drop_all_tables() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
            return
        cursor.execute("PRAGMA foreign_keys = OFF")
        for table in connection.introspection.table_names():
            cursor.execute(f"DROP TABLE {connection.ops.quote_name(table)}")
        cursor.execute("PRAGMA foreign_keys = ON")


def memory_bank(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_a_backup_restored_into_a_wiped_database_gives_back_the_record(
    dirs, record, wipe_database
):
    call_command("export_memory_bank", "--as-of", AS_OF, stdout=io.StringIO())
    before = memory_bank(dirs.MEMORY_BANK_DIR)

    archive = create_backup()
    wipe_database()
    for path in dirs.MEMORY_BANK_DIR.iterdir():
        path.unlink()
    summary = restore_backup(archive)

    assert summary["memory_bank_files"] == 3
    restored = Incident.objects.get()
    assert (restored.key, restored.title) == (record.key, "Checkout down")
    assert restored.caused_by.version == "1.2.3"
    assert TimelineEntry.objects.filter(incident=restored, body="Rolled back").exists()
    assert memory_bank(dirs.MEMORY_BANK_DIR) == before


def test_the_restored_record_exports_the_same_memory_bank(
    dirs, record, wipe_database, tmp_path
):
    call_command("export_memory_bank", "--as-of", AS_OF, stdout=io.StringIO())
    before = memory_bank(dirs.MEMORY_BANK_DIR)
    archive = create_backup()
    wipe_database()

    restore_backup(archive)
    again = tmp_path / "again"
    call_command(
        "export_memory_bank",
        "--as-of",
        AS_OF,
        "--out",
        str(again),
        stdout=io.StringIO(),
    )

    assert sorted(before) == [
        "CLAUDE-incidents.md",
        "CLAUDE-infrastructure.md",
        "CLAUDE-metrics.md",
    ]
    assert b"Checkout down" in before["CLAUDE-incidents.md"]
    assert memory_bank(again) == before


def test_the_manifest_lists_each_file_with_its_checksum_and_each_table_count(
    dirs, record
):
    manifest = verify_backup(create_backup())

    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["database"]["rows"]["incidents_incident"] == 1
    assert manifest["database"]["rows"]["incidents_deployment"] == 1
    assert set(manifest["files"]) == {manifest["database"]["file"]}
    assert all(len(f["sha256"]) == 64 for f in manifest["files"].values())


def test_a_truncated_backup_is_refused_and_nothing_is_restored(
    dirs, record, wipe_database
):
    archive = create_backup()
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])
    wipe_database()

    with pytest.raises(BackupError, match="truncated or corrupted"):
        restore_backup(archive)

    assert connection.introspection.table_names() == []


def test_a_truncated_backup_without_its_sidecar_is_still_refused(dirs, record):
    archive = create_backup()
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])
    archive.with_name(archive.name + ".sha256").unlink()

    with pytest.raises(BackupError, match="truncated|missing|checksum"):
        verify_backup(archive)


def test_a_corrupted_member_fails_its_manifest_checksum(dirs, record):
    archive = create_backup()
    archive.with_name(archive.name + ".sha256").unlink()
    with tarfile.open(archive) as tar:
        member = next(m for m in tar.getmembers() if m.name.startswith("database"))
        offset = member.offset_data + member.size // 2
    data = bytearray(archive.read_bytes())
    data[offset] ^= 0xFF
    archive.write_bytes(bytes(data))

    with pytest.raises(BackupError, match="does not match its checksum"):
        verify_backup(archive)


def test_an_archive_with_a_smuggled_file_is_refused(dirs, record):
    archive = create_backup()
    archive.with_name(archive.name + ".sha256").unlink()
    with tarfile.open(archive, "a") as tar:
        info = tarfile.TarInfo("memory-bank/extra.md")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"hi\n"))

    with pytest.raises(BackupError, match="not in the manifest"):
        verify_backup(archive)


def test_restoring_over_a_database_with_tables_is_refused(dirs, record):
    archive = create_backup()

    with pytest.raises(BackupError, match="not empty"):
        restore_backup(archive)

    assert Incident.objects.count() == 1


def test_the_backup_command_writes_an_archive_and_its_checksum(dirs, record):
    out = io.StringIO()

    call_command("backup", stdout=out)

    archives = list(Path(dirs.BACKUP_DIR).glob("hindsight-*.tar"))
    assert len(archives) == 1
    assert str(archives[0]) in out.getvalue()
    sidecar = archives[0].with_name(archives[0].name + ".sha256")
    assert sidecar.read_text().endswith(f"  {archives[0].name}\n")


def test_the_restore_command_refuses_a_corrupted_file_loudly(dirs, tmp_path):
    bogus = tmp_path / "hindsight-20261201T021700.000000Z.tar"
    bogus.write_bytes(b"not a tar file at all" * 100)

    with pytest.raises(CommandError, match="Refusing"):
        call_command("restore", str(bogus))

    assert Deployment.objects.count() == 0


def test_pruning_deletes_the_archives_retention_does_not_keep(dirs):
    directory = Path(dirs.BACKUP_DIR)
    directory.mkdir()
    names = [
        "hindsight-20261203T021700.000000Z.tar",  # today: kept
        "hindsight-20261102T021700.000000Z.tar",  # newest of November: kept
        "hindsight-20261101T021700.000000Z.tar",  # older in November: pruned
        "hindsight-20260701T021700.000000Z.tar",  # five months old: pruned
    ]
    for name in names:
        (directory / name).write_bytes(b"x")
        (directory / f"{name}.sha256").write_text("x\n")
    (directory / "notes.txt").write_text("not a backup")
    # What a backup killed half-way leaves behind (stamped long ago):
    killed = [directory / "hindsight-x.tar.partial", directory / ".work-x"]
    killed[0].write_bytes(b"half")
    killed[1].mkdir()
    for path in killed:
        os.utime(path, (0, 0))

    pruned = prune_backups(now=at(2026, 12, 3, 3, 0))

    assert sorted(p.name for p in pruned) == sorted(
        [*names[2:], "hindsight-x.tar.partial", ".work-x"]
    )
    assert sorted(p.name for p in directory.iterdir()) == sorted(
        [names[0], f"{names[0]}.sha256", names[1], f"{names[1]}.sha256", "notes.txt"]
    )
