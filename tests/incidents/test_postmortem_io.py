from datetime import date

import pytest
import yaml

from accounts.models import Role
from incidents.errors import DomainError
from incidents.models import ActionItem, Incident, Postmortem, Service
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


def as_file(front: dict, body: str) -> str:
    return "---\n" + yaml.safe_dump(front, sort_keys=False) + "---\n" + body


def with_value(front: dict, path: str, value) -> dict:
    """Set ``action_items.0.owner`` and the like in the parsed front matter."""
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    target = front
    for part in parents:
        target = target[part]
    target[last] = value
    return front


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


@pytest.fixture
def moved(postmortem):
    """The postmortem's export on an instance without its incident, where importing
    creates the incident, its services and its action items."""
    front, body = parse_export(export_postmortem(postmortem))
    Incident.objects.all().delete()
    Service.objects.all().delete()
    return front, body


def refusal(front: dict, body: str) -> DomainError:
    with pytest.raises(DomainError) as error:
        import_postmortem(text=as_file(front, body), actor=None)
    return error.value


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


def test_an_edited_file_for_an_existing_postmortem_is_refused_and_changes_nothing(
    postmortem,
):
    front, _ = parse_export(export_postmortem(postmortem))
    front["action_items"] = front["action_items"][:1]

    error = refusal(front, "Short.\n")

    assert error.field == "incident"
    assert "action_items, body" in error.message
    assert f"/incidents/{postmortem.incident.key}/postmortem/edit/" in error.message
    postmortem.refresh_from_db()
    assert (postmortem.version, postmortem.body) == (1, long_document())
    assert postmortem.action_items.count() == 2


def test_an_import_does_not_turn_a_published_postmortem_back_into_a_draft(
    postmortem,
):
    front, body = parse_export(export_postmortem(postmortem))
    postmortem.status = Postmortem.Status.PUBLISHED
    postmortem.published_at = at(2025, 5, 9, 10)
    postmortem.save()

    error = refusal(front, body)

    assert "(published)" in error.message
    postmortem.refresh_from_db()
    assert postmortem.status == Postmortem.Status.PUBLISHED
    assert postmortem.published_at == at(2025, 5, 9, 10)


def test_importing_an_unchanged_export_again_keeps_the_action_items(postmortem):
    items = list(postmortem.action_items.values_list("id", "created_at"))

    import_postmortem(text=export_postmortem(postmortem), actor=None)

    assert list(postmortem.action_items.values_list("id", "created_at")) == items


def test_an_unchanged_export_written_in_another_yaml_layout_is_a_repeat(postmortem):
    front, body = parse_export(export_postmortem(postmortem))
    text = "---\n" + yaml.safe_dump(front, sort_keys=True) + "---\n" + body

    imported = import_postmortem(text=text, actor=None)

    assert imported.version == 2
    assert export_postmortem(imported) == export_postmortem(postmortem)


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

    error = refusal(front, body)

    assert "nobody" in error.message
    postmortem.refresh_from_db()
    assert postmortem.version == 1
    assert postmortem.action_items.count() == 2


def test_a_time_without_a_zone_is_refused(postmortem):
    front, body = parse_export(export_postmortem(postmortem))
    front["status"] = "draft"
    front["published_at"] = "2025-05-02T12:00:00"

    error = refusal(front, body)

    assert error.field == "published_at"


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


@pytest.mark.parametrize(
    "slug",
    ["../../etc", "<script>alert(1)</script>", {"a": 1}, "new", "a" * 101, ""],
)
def test_a_service_slug_the_catalogue_would_refuse_is_refused(moved, slug):
    front, body = moved
    front["services"] = ["payments", slug]

    error = refusal(front, body)

    assert error.field == "services.1"
    assert error.message.startswith("services.1: ")
    assert Service.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("published_at", "0001-01-01T00:00:00+05:00"),
        ("started_at", "9999-12-31T23:59:59-05:00"),
        ("started_at", "0001-01-01T00:00:00Z"),
        ("started_at", "1989-12-31T23:59:59Z"),
        ("resolved_at", "2999-01-01T00:00:00Z"),
        ("detected_at", "not a time"),
    ],
)
def test_a_time_out_of_range_or_implausible_is_refused_naming_it(moved, field, value):
    front, body = moved
    front.update(status="published", published_at="2025-05-09T10:00:00Z")
    front[field] = value

    error = refusal(front, body)

    assert error.field == field
    assert Incident.objects.count() == 0


def test_an_unquoted_time_that_yaml_reads_itself_is_still_checked(moved):
    front, body = moved
    text = as_file(front, body).replace(
        "started_at: '2025-05-02T11:55:00Z'", "started_at: 0001-01-01T00:00:00+05:00"
    )

    with pytest.raises(DomainError) as error:
        import_postmortem(text=text, actor=None)

    assert error.value.field == "started_at"


def test_times_in_an_order_the_incident_api_refuses_are_refused(moved):
    front, body = moved
    front["resolved_at"] = "2025-05-02T11:00:00Z"

    error = refusal(front, body)

    assert error.field == "resolved_at"
    assert Incident.objects.count() == 0


def test_a_resolved_incident_without_its_resolution_time_is_refused(moved):
    front, body = moved
    front["resolved_at"] = None

    error = refusal(front, body)

    assert error.field == "resolved_at"


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("action_items.0.owner", [1, 2]),
        ("action_items.0.title", ["x"]),
        ("action_items.0.due_date", 20250601),
        ("action_items.0.kind", ["prevent"]),
        ("action_items.0", "Quota per tenant"),
        ("action_items", {"title": "x"}),
        ("title", {"a": "b"}),
        ("title", 12),
        ("services", "payments"),
        ("severity", ["SEV1"]),
        ("started_at", 1746186900),
        ("restricted", "no"),
        ("incident", 42),
    ],
)
def test_a_value_of_the_wrong_type_is_refused_naming_its_path(moved, path, value):
    front, body = moved

    error = refusal(with_value(front, path, value), body)

    assert error.field == path
    assert error.message.startswith(f"{path}: ")
    assert Incident.objects.count() == 0


@pytest.mark.parametrize("path", ["title", "action_items.0.title"])
def test_a_title_longer_than_the_record_holds_is_refused(moved, path):
    front, body = moved

    error = refusal(with_value(front, path, "x" * 301), body)

    assert error.field == path
    assert "at most 300 characters" in error.message


@pytest.mark.parametrize(
    "path", ["title", "services.0", "action_items.0.title", "action_items.0.owner"]
)
def test_a_nul_character_in_the_front_matter_is_refused(moved, path):
    front, body = moved

    error = refusal(with_value(front, path, "a\x00b"), body)

    assert error.field == path
    assert "NUL" in error.message


@pytest.mark.parametrize("path", ["title", "action_items.0.title"])
def test_a_lone_surrogate_from_a_yaml_escape_is_refused(moved, path):
    front, body = moved

    error = refusal(with_value(front, path, "a\ud800b"), body)

    assert error.field == path
    assert Incident.objects.count() == 0


def test_an_unknown_key_that_cannot_be_printed_is_named_escaped(moved):
    front, body = moved
    front["action_items"][0]["\ud800"] = "x"

    error = refusal(front, body)

    assert error.field == "action_items.0.\\ud800"


def test_a_nul_character_in_the_body_is_refused(moved):
    front, body = moved

    error = refusal(front, body + "\x00")

    assert error.field == "body"
    assert Incident.objects.count() == 0


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "ftp://files.example/T-1", "tracker T-1"]
)
def test_a_tracker_url_that_is_not_an_http_address_is_refused(moved, url):
    front, body = moved

    error = refusal(with_value(front, "action_items.0.tracker_url", url), body)

    assert error.field == "action_items.0.tracker_url"


@pytest.mark.parametrize(
    "due", ["0001-01-01", date(1, 1, 1), "1989-12-31", "2101-01-01", "2025-02-30"]
)
def test_a_due_date_outside_1990_to_2100_or_not_a_date_is_refused(moved, due):
    front, body = moved

    error = refusal(with_value(front, "action_items.0.due_date", due), body)

    assert error.field == "action_items.0.due_date"


def test_a_published_postmortem_without_its_publication_time_is_refused(moved):
    front, body = moved
    front.update(status="published", published_at=None)

    error = refusal(front, body)

    assert error.field == "published_at"
    assert Incident.objects.count() == 0


def test_a_draft_with_a_publication_time_is_refused(moved):
    front, body = moved
    front["published_at"] = "2025-05-09T10:00:00Z"

    error = refusal(front, body)

    assert error.field == "published_at"


def test_a_published_postmortem_round_trips_with_its_publication_time(moved):
    front, body = moved
    front.update(status="published", published_at="2025-05-09T10:00:00Z")
    text = as_file(front, body)

    imported = import_postmortem(text=text, actor=None)

    again, _ = parse_export(export_postmortem(imported))
    assert (again["status"], again["published_at"]) == (
        "published",
        "2025-05-09T10:00:00Z",
    )


def test_an_unknown_front_matter_key_is_refused(moved):
    front, body = moved
    front["publised_at"] = "2025-05-09T10:00:00Z"

    error = refusal(front, body)

    assert error.field == "publised_at"


def test_a_file_refused_for_its_last_item_stores_nothing(moved):
    front, body = moved
    front["action_items"][-1]["tracker_url"] = "javascript:alert(1)"

    refusal(front, body)

    assert Incident.objects.count() == 0
    assert Service.objects.count() == 0
    assert Postmortem.objects.count() == 0
