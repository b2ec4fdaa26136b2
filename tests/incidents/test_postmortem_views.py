import pytest
from django.urls import reverse

from accounts.models import Role

from ..factories import make_incident, make_postmortem, make_user
from .test_postmortem_services import FILLED


@pytest.fixture
def postmortem(db):
    author = make_user("alex", Role.RESPONDER)
    incident = make_incident(title="Checkout down")
    from incidents.services.postmortems import start_postmortem

    return start_postmortem(incident=incident, actor=author, body=FILLED)


def url(name, postmortem, *args):
    return reverse(name, args=[postmortem.incident.key, *args])


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("viewer_client", 200), ("responder_client", 200), ("client", 302)],
)
def test_reading_pages_need_the_viewer_role(request, postmortem, persona, expected):
    client = request.getfixturevalue(persona)

    for name in (
        "incidents:postmortem",
        "incidents:postmortem-revisions",
        "incidents:postmortem-export",
    ):
        assert client.get(url(name, postmortem)).status_code == expected
    assert client.get(reverse("incidents:postmortems")).status_code == expected
    assert client.get(reverse("incidents:action-items")).status_code == expected


def test_an_outsider_is_refused(client, outsider, postmortem):
    client.force_login(outsider)

    assert client.get(url("incidents:postmortem", postmortem)).status_code == 403


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("incidents:postmortem-edit", ()),
        ("incidents:postmortem-submit", ()),
    ],
)
def test_viewers_cannot_write_or_review(viewer_client, postmortem, name, args):
    response = viewer_client.post(
        url(name, postmortem, *args), {"body": "x", "version": 1}
    )

    assert response.status_code == 403
    postmortem.refresh_from_db()
    assert (postmortem.body, postmortem.status) == (FILLED, "draft")


def test_the_detail_page_shows_sanitized_html(viewer_client, postmortem):
    from incidents.services.postmortems import save_postmortem

    save_postmortem(
        postmortem=postmortem,
        body="**bold** <script>window.x=1</script><img src=x onerror=alert(1)>",
        base_version=1,
        actor=None,
    )

    response = viewer_client.get(url("incidents:postmortem", postmortem))

    body = response.content.decode()
    assert "<strong>bold</strong>" in body
    assert "<script>window.x" not in body
    assert "onerror" not in body


def test_saving_redirects_and_stores_a_new_version(responder_client, postmortem):
    response = responder_client.post(
        url("incidents:postmortem-edit", postmortem),
        {"body": "Changed\r\n", "version": 1},
    )

    assert response.status_code == 302
    postmortem.refresh_from_db()
    assert (postmortem.body, postmortem.version) == ("Changed\n", 2)


def test_preview_renders_without_saving(responder_client, postmortem):
    response = responder_client.post(
        url("incidents:postmortem-edit", postmortem),
        {
            "body": "# Hi\n\nIt was human error. <script>x()</script>",
            "version": 1,
            "preview": "1",
        },  # fmt: skip
    )

    assert response.status_code == 200
    assert '<h1 id="pm-hi">Hi</h1>' in response.context["preview"]
    assert "<script>x()" not in response.content.decode()
    assert [f.phrase for f in response.context["findings"]] == ["human error"]
    postmortem.refresh_from_db()
    assert postmortem.version == 1


def test_the_preview_endpoint_returns_a_sanitized_fragment(responder_client, db):
    response = responder_client.post(
        reverse("incidents:postmortem-preview"),
        {"body": "[x](javascript:alert(1)) *y*"},
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "<em>y</em>" in html
    assert "javascript:" not in html
    assert "<html" not in html


def test_a_stale_save_shows_both_texts_and_a_diff(responder_client, postmortem):
    from incidents.services.postmortems import save_postmortem

    save_postmortem(
        postmortem=postmortem, body=FILLED + "Theirs <b>x</b>\n", base_version=1,
        actor=None,
    )  # fmt: skip

    response = responder_client.post(
        url("incidents:postmortem-edit", postmortem),
        {"body": FILLED + "Mine <script>bad()</script>\n", "version": 1},
    )

    assert response.status_code == 409
    html = response.content.decode()
    assert "Mine &lt;script&gt;bad()&lt;/script&gt;" in html
    assert "Theirs &lt;b&gt;x&lt;/b&gt;" in html
    assert '<span class="diff-add">+Mine &lt;script&gt;' in html
    assert response.context["form"]["version"].value() == "2"
    postmortem.refresh_from_db()
    assert postmortem.version == 2
    assert "Mine" not in postmortem.body


def test_the_review_workflow_through_the_pages(client, postmortem):
    reviewer = make_user("rev", Role.RESPONDER)
    author = postmortem.author

    client.force_login(author)
    client.post(url("incidents:postmortem-submit", postmortem))
    refused = client.post(url("incidents:postmortem-approve", postmortem))
    postmortem.refresh_from_db()
    assert postmortem.status == "in_review"
    assert refused.status_code == 302

    client.force_login(reviewer)
    client.post(url("incidents:postmortem-approve", postmortem))
    postmortem.refresh_from_db()
    assert (postmortem.status, postmortem.approved_by) == ("published", reviewer)

    edit = client.post(
        url("incidents:postmortem-edit", postmortem), {"body": "x", "version": 1}
    )
    assert edit.status_code == 400
    assert "amendment needs a reason" in edit.content.decode()
    amend = client.post(
        url("incidents:postmortem-edit", postmortem),
        {"body": "x", "version": 1, "reason": "Typo"},
    )
    assert amend.status_code == 302
    postmortem.refresh_from_db()
    assert (postmortem.status, postmortem.body) == ("published", "x")


def test_a_restricted_incident_s_postmortem_is_hidden_from_other_people(
    client, viewer, responder, postmortem
):
    from ..factories import make_action_item

    postmortem.incident.is_restricted = True
    postmortem.incident.save()
    make_action_item(postmortem, title="Rotate the keys")
    key = postmortem.incident.key

    for person in (viewer, responder):
        client.force_login(person)
        for name in (
            "incidents:postmortem",
            "incidents:postmortem-revisions",
            "incidents:postmortem-export",
        ):
            assert client.get(reverse(name, args=[key])).status_code == 404
        listed = client.get(reverse("incidents:postmortems"), {"q": "checkout"})
        items = client.get(reverse("incidents:action-items"))
        assert list(listed.context["postmortems"]) == []
        assert items.context["open"] + items.context["overdue"] == []

    edit = client.get(url("incidents:postmortem-edit", postmortem))
    postmortem.incident.responders.add(responder)
    assert edit.status_code == 404
    assert client.get(url("incidents:postmortem", postmortem)).status_code == 200


def test_the_revisions_page_shows_who_when_and_the_diff(viewer_client, postmortem):
    from incidents.services.postmortems import save_postmortem

    save_postmortem(
        postmortem=postmortem, body=FILLED.replace("20 minutes", "25 minutes"),
        base_version=1, actor=postmortem.author,
    )  # fmt: skip

    response = viewer_client.get(url("incidents:postmortem-revisions", postmortem))

    assert response.status_code == 200
    newest = response.context["revisions"][0]
    assert newest.revision.version == 2
    assert [(d.kind, d.text) for d in newest.diff if d.kind != "context"][1:] == [
        ("remove", "Checkout failed for 20 minutes."),
        ("add", "Checkout failed for 25 minutes."),
    ]
    assert "alex" in response.content.decode()


def test_export_is_a_markdown_download(viewer_client, postmortem):
    response = viewer_client.get(url("incidents:postmortem-export", postmortem))

    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert response.content.decode().startswith("---\nschema: 1\n")


def test_import_is_for_admins_and_round_trips(
    client, admin_user, responder, postmortem
):
    from incidents.postmortem_io import export_postmortem

    text = export_postmortem(postmortem)
    client.force_login(responder)
    refused = client.post(reverse("incidents:postmortem-import"), {"text": text})
    client.force_login(admin_user)
    imported = client.post(reverse("incidents:postmortem-import"), {"text": text})
    bad = client.post(reverse("incidents:postmortem-import"), {"text": "nope"})

    assert refused.status_code == 403
    assert imported.status_code == 302
    assert bad.status_code == 400
    postmortem.refresh_from_db()
    assert export_postmortem(postmortem) == text


def test_a_refused_import_is_a_400_naming_the_field_and_keeps_the_text(
    client, admin_user, postmortem
):
    from incidents.models import Incident, Service
    from incidents.postmortem_io import export_postmortem

    text = (
        export_postmortem(postmortem)
        .replace(f"incident: {postmortem.incident.key}\n", "incident: INC-999999\n")
        .replace("services:\n- checkout\n", "services:\n- ../../etc\n")
    )
    client.force_login(admin_user)

    response = client.post(reverse("incidents:postmortem-import"), {"text": text})

    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["text"][0].startswith("services.0: ")
    assert form["text"].value() == text
    assert Incident.objects.count() == 1
    assert list(Service.objects.values_list("slug", flat=True)) == ["checkout"]


def test_a_refused_upload_shows_the_reason_on_the_file_input(
    client, admin_user, postmortem
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from incidents.postmortem_io import export_postmortem

    edited = export_postmortem(postmortem) + "An added line.\n"
    client.force_login(admin_user)

    response = client.post(
        reverse("incidents:postmortem-import"),
        {"file": SimpleUploadedFile("pm.md", edited.encode())},
    )

    assert response.status_code == 400
    assert "already has a postmortem" in response.context["form"].errors["file"][0]
    postmortem.refresh_from_db()
    assert postmortem.version == 1


def test_an_upload_larger_than_any_export_is_refused_unread(client, admin_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from incidents.postmortem_forms import MAX_IMPORT_BYTES

    client.force_login(admin_user)

    response = client.post(
        reverse("incidents:postmortem-import"),
        {"file": SimpleUploadedFile("big.md", b"-" * (MAX_IMPORT_BYTES + 1))},
    )

    assert response.status_code == 400
    assert "too large" in response.context["form"].errors["file"][0]


def test_the_list_shows_due_and_overdue_postmortems(viewer_client, db):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    late = make_incident(
        severity="SEV1", started_at=now - timedelta(days=9),
        resolved_at=now - timedelta(days=8), title="Late one",
    )  # fmt: skip
    soon = make_incident(
        severity="SEV2", started_at=now - timedelta(days=2),
        resolved_at=now - timedelta(days=1), title="Soon one",
    )  # fmt: skip
    make_postmortem(soon)

    response = viewer_client.get(reverse("incidents:postmortems"))

    assert [e.incident for e in response.context["overdue"]] == [late]
    assert [e.incident for e in response.context["due"]] == [soon]
    assert "overdue" in response.content.decode()


def test_the_list_searches(viewer_client, db):
    make_postmortem(make_incident(title="Disk full"), body="The volume filled up.")
    make_postmortem(make_incident(title="DNS"), body="Resolver timeouts.")

    response = viewer_client.get(reverse("incidents:postmortems"), {"q": "resolver"})

    assert [p.incident.title for p in response.context["postmortems"]] == ["DNS"]


def _make_postmortems(count: int) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from ..factories import make_action_item

    for _ in range(count):
        now = timezone.now()
        incident = make_incident(
            severity="SEV1", started_at=now - timedelta(days=9),
            resolved_at=now - timedelta(days=8),
        )  # fmt: skip
        make_action_item(make_postmortem(incident), owner=make_user(f"o{incident.pk}"))


# Session, user, profile, roles and the header's open counts, then the page's own
# reads: the due list and the postmortems; or the items, services and teams.
@pytest.mark.parametrize(
    ("name", "queries"), [("incidents:postmortems", 7), ("incidents:action-items", 8)]
)
def test_list_pages_run_a_fixed_number_of_queries(
    viewer_client, django_assert_num_queries, name, queries
):
    _make_postmortems(2)
    viewer_client.get(reverse(name))  # the first request stamps the session
    with django_assert_num_queries(queries):
        viewer_client.get(reverse(name))

    _make_postmortems(4)
    with django_assert_num_queries(queries):
        response = viewer_client.get(reverse(name))

    assert response.status_code == 200
    assert b"overdue" in response.content or b"Overdue" in response.content


def test_a_conflict_on_different_lines_offers_the_combined_text(
    responder_client, postmortem
):
    from incidents.services.postmortems import save_postmortem

    theirs = FILLED.replace("A config push.", "A config push at 12:00.")
    mine = FILLED.replace("Budgets per tenant.", "Budgets per tenant and alerts.")
    save_postmortem(postmortem=postmortem, body=theirs, base_version=1, actor=None)

    response = responder_client.post(
        url("incidents:postmortem-edit", postmortem), {"body": mine, "version": 1}
    )
    combined = response.context["conflict"]["merged"]
    loaded = responder_client.post(
        url("incidents:postmortem-edit", postmortem),
        {"body": combined, "version": 2, "preview": "1"},
    )

    assert response.status_code == 409
    assert combined == FILLED.replace(
        "A config push.", "A config push at 12:00."
    ).replace("Budgets per tenant.", "Budgets per tenant and alerts.")
    assert 'id="suggested-merge"' in response.content.decode()
    assert loaded.status_code == 200
    assert loaded.context["form"]["body"].value() == combined
    postmortem.refresh_from_db()
    assert postmortem.body == theirs


def test_admins_edit_the_template_and_the_phrase_list_in_the_admin(client, db):
    from incidents.models import BlamelessPhrase, PostmortemTemplate

    admin_user = make_user("root", is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    template = client.post(
        "/admin/incidents/postmortemtemplate/add/",
        {"body": "# ${key}\n## Story\n", "required_sections": "Story"},
    )
    phrase = client.post(
        "/admin/incidents/blamelessphrase/add/",
        {"phrase": "rookie", "suggestion": "Say what was new.", "is_active": "on"},
    )

    assert (template.status_code, phrase.status_code) == (302, 302)
    stored = PostmortemTemplate.objects.get()
    assert (stored.required_section_list, stored.updated_by) == (["Story"], admin_user)
    assert BlamelessPhrase.objects.get().phrase == "rookie"
