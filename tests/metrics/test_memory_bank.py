"""The memory-bank export end to end: golden files for a fixed history, byte-identical
re-exports, the front matter, restricted incidents, and the management command."""

import os
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

from incidents.models import Incident
from metrics.memory_bank.export import FILE_NAMES, export_memory_bank, render_files
from tests.factories import at, make_incident, make_service

from .golden.history import AS_OF, NOW, build_history

GOLDEN = Path(__file__).parent / "golden"
# Set to rewrite the golden files after a deliberate change; review the diff.
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def front_matter(text: str) -> dict:
    assert text.startswith("---\n")
    return yaml.safe_load(text[4 : text.index("\n---\n", 4)])


@pytest.fixture
def history(db):
    return build_history()


def test_export_matches_the_golden_files(history, tmp_path):
    result = export_memory_bank(out_dir=tmp_path, now=NOW)

    assert sorted(result.changed) == sorted(FILE_NAMES)
    for name in FILE_NAMES:
        written = (tmp_path / name).read_text()
        if UPDATE:
            (GOLDEN / name).write_text(written)
        assert written == (GOLDEN / name).read_text(), name


def test_reexport_of_unchanged_data_is_byte_identical_and_leaves_files_alone(
    history, tmp_path
):
    export_memory_bank(out_dir=tmp_path, now=NOW)
    first = {name: (tmp_path / name).read_bytes() for name in FILE_NAMES}
    mtimes = {name: (tmp_path / name).stat().st_mtime_ns for name in FILE_NAMES}

    result = export_memory_bank(out_dir=tmp_path, now=NOW)

    assert result.changed == []
    assert {name: (tmp_path / name).read_bytes() for name in FILE_NAMES} == first
    assert {name: (tmp_path / name).stat().st_mtime_ns for name in FILE_NAMES} == mtimes


def test_a_change_to_the_record_changes_the_files_and_their_data_as_of(
    history, tmp_path
):
    export_memory_bank(out_dir=tmp_path, now=NOW)

    make_incident(
        [make_service("ledger")],
        id=7,  # the history's ids are explicit, so PostgreSQL's sequence is behind
        title="Ledger lag",
        started_at=at(2025, 6, 1, 8),
    )
    Incident.objects.filter(title="Ledger lag").update(updated_at=at(2025, 6, 1, 13))
    result = export_memory_bank(out_dir=tmp_path, now=NOW)

    assert "CLAUDE-incidents.md" in result.changed
    text = (tmp_path / "CLAUDE-incidents.md").read_text()
    assert "Ledger lag" in text
    assert front_matter(text)["data_as_of"] == "2025-06-01T13:00:00Z"


def test_every_file_starts_with_front_matter_an_agent_can_parse(history):
    files = render_files(now=NOW)

    for name in FILE_NAMES:
        meta = front_matter(files[name].decode())
        assert meta["schema_version"] == 1
        assert meta["file"] == name
        assert meta["data_as_of"] == AS_OF.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert meta["generated_at"] == meta["data_as_of"]
        assert meta["window"] == {
            "days": 90,
            "start": "2025-03-04T00:00:00Z",
            "end": "2025-06-02T00:00:00Z",
        }
        assert meta["hindsight_url"].startswith("http://127.0.0.1:8000/")
        assert "## About this file" in files[name].decode()


def test_incident_counts_in_front_matter_leave_restricted_incidents_anonymous(
    history,
):
    text = render_files(now=NOW)["CLAUDE-incidents.md"].decode()

    counts = front_matter(text)["counts"]
    assert counts["incidents"] == 5
    assert counts["open_incidents"] == 1
    assert counts["restricted_incidents"] == 1
    assert counts["open_action_items"] == 3
    assert counts["overdue_action_items"] == 1
    assert "INC-4" not in text
    assert "Credential leak" not in text


def test_restricted_incidents_appear_in_no_file(history):
    files = render_files(now=NOW)

    for data in files.values():
        text = data.decode()
        assert "INC-4" not in text
        assert "Credential leak" not in text


def test_command_writes_the_three_files_to_the_directory_given(history, tmp_path):
    call_command("export_memory_bank", "--out", str(tmp_path), "--as-of", "2025-06-01")

    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(FILE_NAMES)
    assert (tmp_path / "CLAUDE-incidents.md").read_bytes() == render_files(now=NOW)[
        "CLAUDE-incidents.md"
    ]


def test_command_writes_to_memory_bank_dir_by_default(history, tmp_path, settings):
    settings.MEMORY_BANK_DIR = tmp_path / "bank"

    call_command("export_memory_bank")

    assert sorted(p.name for p in (tmp_path / "bank").iterdir()) == sorted(FILE_NAMES)


def test_command_refuses_a_bad_day(db):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="--as-of must be a date"):
        call_command("export_memory_bank", "--as-of", "June")


def test_exports_within_the_same_hour_are_byte_identical(history):
    early = render_files(now=NOW.replace(minute=1))
    late = render_files(now=NOW.replace(minute=59, second=59))

    assert early == late


def test_an_export_an_hour_later_moves_only_what_depends_on_the_hour(history):
    now = render_files(now=NOW)
    later = render_files(now=NOW.replace(hour=13))

    assert later["CLAUDE-incidents.md"] == now["CLAUDE-incidents.md"]
    assert later["CLAUDE-infrastructure.md"] == now["CLAUDE-infrastructure.md"]
    assert b"Evaluated at 2025-06-01T13:00:00Z" in later["CLAUDE-metrics.md"]
