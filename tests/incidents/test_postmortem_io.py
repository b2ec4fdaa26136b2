from datetime import date

import pytest
import yaml

from accounts.models import Role
from incidents.errors import DomainError
from incidents.models import ActionItem, Incident, Postmortem
from incidents.postmortem_io import export_postmortem, import_postmortem, parse_export
from incidents.services.postmortems import start_postmortem

from ..factories import at, make_action_item, make_incident, make_service, make_user


def long_document(sections: int = 120) -> str:
    """Tables, fenced code, non-ASCII text and lines that look like front matter."""
    parts = ["# Postmortem: Zahlungsausfall in Zürich 🚨\n"]
    for n in range(sections):
        parts.append(
            f"## Abschnitt {n}: 東京 → São Paulo\n\n"
            "| Zeit | Ereignis | Ö |\n|:--|--:|:-:|\n"
            f"| 12:0{n % 10} | Fehler «{n}» | ✓ |\n\n"
            "```python\n---\ndef f():\n    return '—'  # naïve\n```\n\n"
            "---\n\nText with trailing spaces  \nand a tab\there.\n"
        )
    return "".join(parts)


@pytest.fixture
def postmortem(db):
    author = make_user("rita", Role.RESPONDER)
    incident = make_incident(
        [make_service("payments"), make_service("checkout")],
        title="Zahlungen schlagen fehl — «Ö»",
        severity="SEV1",
        started_at=at(2025, 5, 2, 11, 55, 0),
        detected_at=at(2025, 5, 2, 12, 1, 30),
        resolved_at=at(2025, 5, 2, 13, 0),
    )
    postmortem = start_postmortem(incident=incident, actor=author, body=long_document())
    make_action_item(
        postmortem,
        title="Quota per tenant: «Ö»",
        kind="prevent",
        owner=author,
        due_date=date(2025, 6, 1),
        priority="P2",
        tracker_url="https://tracker.example/T-1",
    )
    make_action_item(postmortem, title="Alert on refusals", kind="detect")
    return postmortem


def test_the_export_has_front_matter_then_the_body(postmortem):
    text = export_postmortem(postmortem)

    front, body = parse_export(text)
    assert body == postmortem.body
    assert front["incident"] == postmortem.incident.key
    assert front["services"] == ["checkout", "payments"]
    assert front["severity"] == "SEV1"
    assert front["started_at"] == "2025-05-02T11:55:00Z"
    assert front["detected_at"] == "2025-05-02T12:01:30Z"
    assert front["mitigated_at"] is None
    assert front["status"] == "draft"
    assert front["action_items"][0] == {
        "title": "Quota per tenant: «Ö»",
        "kind": "prevent",
        "owner": "rita",
        "due_date": "2025-06-01",
        "priority": "P2",
        "status": "open",
        "tracker_url": "https://tracker.example/T-1",
    }
    assert text.startswith("---\nschema: 1\nincident: INC-")


def test_export_import_export_gives_the_same_bytes_on_a_long_document(postmortem):
    first = export_postmortem(postmortem).encode("utf-8")
    assert len(first) > 20_000

    imported = import_postmortem(text=first.decode("utf-8"), actor=None)
    second = export_postmortem(Postmortem.objects.get(pk=imported.pk)).encode("utf-8")

    assert second == first
    assert imported.pk == postmortem.pk
    assert imported.version == 2
    assert imported.revisions.get(version=2).reason == "Imported"


def test_importing_into_an_empty_record_recreates_incident_and_items(postmortem):
    text = export_postmortem(postmortem)
    Incident.objects.all().delete()

    imported = import_postmortem(text=text, actor=None)

    again = export_postmortem(imported)
    key = imported.incident.key
    assert again == text.replace(
        f"incident: {postmortem.incident.key}\n", f"incident: {key}\n"
    )
    assert ActionItem.objects.count() == 2
    assert imported.incident.is_restricted is False


def test_a_restricted_incident_stays_restricted_when_moved(postmortem):
    postmortem.incident.is_restricted = True
    postmortem.incident.save()
    text = export_postmortem(postmortem)
    Incident.objects.all().delete()

    imported = import_postmortem(text=text, actor=None)

    assert "\nrestricted: true\n" in text
    assert imported.incident.is_restricted is True


def test_an_import_replaces_the_body_and_items_and_keeps_the_old_text(postmortem):
    text = export_postmortem(postmortem)
    front, _ = parse_export(text)
    front["action_items"] = front["action_items"][:1]
    edited = "---\n" + yaml.safe_dump(front, sort_keys=False) + "---\nShort.\n"

    imported = import_postmortem(text=edited, actor=None)

    assert imported.body == "Short.\n"
    assert imported.action_items.count() == 1
    assert imported.revisions.get(version=1).body == postmortem.body


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("no front matter", "file"),
        ("---\nschema: 1\n", "file"),
        ("---\n[unclosed\n---\nbody", "file"),
        ("---\nschema: 2\n---\nbody", "file"),
    ],
)
def test_malformed_files_are_refused_with_the_reason(db, text, field):
    with pytest.raises(DomainError) as error:
        import_postmortem(text=text, actor=None)

    assert error.value.field == field
    assert Postmortem.objects.count() == 0


def test_an_unknown_owner_or_bad_value_refuses_the_whole_import(postmortem):
    front, body = parse_export(export_postmortem(postmortem))
    front["action_items"][0]["owner"] = "nobody"

    with pytest.raises(DomainError) as error:
        import_postmortem(
            text="---\n" + yaml.safe_dump(front) + "---\n" + body, actor=None
        )

    assert "nobody" in error.value.message
    postmortem.refresh_from_db()
    assert postmortem.version == 1
    assert postmortem.action_items.count() == 2


def test_a_time_without_a_zone_is_refused(postmortem):
    front, body = parse_export(export_postmortem(postmortem))
    front["status"] = "draft"
    front["published_at"] = "2025-05-02T12:00:00"

    with pytest.raises(DomainError) as error:
        import_postmortem(
            text="---\n" + yaml.safe_dump(front) + "---\n" + body, actor=None
        )

    assert error.value.field == "published_at"


def test_the_commands_round_trip_a_file(postmortem, tmp_path):
    from django.core.management import CommandError, call_command

    first = tmp_path / "first.md"
    second = tmp_path / "second.md"
    call_command("export_postmortem", postmortem.incident.key, out=str(first))
    call_command("import_postmortem", str(first))
    call_command("export_postmortem", postmortem.incident.key, out=str(second))

    assert second.read_bytes() == first.read_bytes()
    postmortem.refresh_from_db()
    assert postmortem.version == 2
    with pytest.raises(CommandError):
        call_command("export_postmortem", "INC-999999")
    first.write_text("not front matter")
    with pytest.raises(CommandError):
        call_command("import_postmortem", str(first))
