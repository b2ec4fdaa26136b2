import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Profile
from incidents.models import Deployment, Incident, TimelineEntry
from incidents.services import incidents as incident_services

from ..factories import at, make_deployment, make_incident, make_note, make_service

Kind = TimelineEntry.Kind


def _url(name: str, incident: Incident) -> str:
    return reverse(f"incidents:{name}", args=[incident.key])


def test_the_key_is_case_insensitive_and_an_unknown_one_is_404(viewer_client):
    incident = make_incident()

    found = viewer_client.get(f"/incidents/inc-{incident.pk}/")
    missing = viewer_client.get("/incidents/INC-999999/")
    nonsense = viewer_client.get("/incidents/nonsense/")

    assert found.status_code == 200
    assert missing.status_code == 404
    assert nonsense.status_code == 404


def test_a_key_of_superscript_digits_is_404_not_a_crash(viewer_client):
    make_incident()

    response = viewer_client.get("/incidents/INC-\u00b2/")

    assert response.status_code == 404


def test_a_key_in_arabic_indic_digits_does_not_find_the_incident(viewer_client):
    incident = make_incident()
    arabic_indic = str.maketrans("0123456789", "".join(map(chr, range(0x660, 0x66A))))

    response = viewer_client.get(
        f"/incidents/INC-{str(incident.pk).translate(arabic_indic)}/"
    )

    assert response.status_code == 404


def test_a_cause_set_by_a_person_says_so(viewer_client):
    service = make_service("checkout")
    deployment = make_deployment(service, version="v7", finished_at=at(2025, 1, 1))
    incident = make_incident(
        [service],
        started_at=at(2025, 1, 1, 1),
        caused_by=deployment,
        cause_source=Incident.CauseSource.PERSON,
    )

    html = viewer_client.get(incident.get_absolute_url()).content.decode()

    assert "checkout v7 to production" in html
    assert '<span class="tag cause-source">set by a person</span>' in html


def test_an_inferred_cause_is_shown_as_inferred(viewer_client):
    service = make_service("checkout")
    make_deployment(service, version="v8", finished_at=at(2025, 1, 1, 0, 30))
    incident = make_incident([service], started_at=at(2025, 1, 1, 1))

    response = viewer_client.get(incident.get_absolute_url())

    html = response.content.decode()
    assert response.context["inferred_cause"].version == "v8"
    assert "checkout v8 to production" in html
    assert ">inferred</span>" in html


def test_an_incident_opened_by_alertmanager_says_so_and_credits_the_alerts(
    viewer_client,
):
    incident = make_incident(
        source=Incident.Source.ALERTMANAGER, alert_group_key='{}:{alertname="X"}'
    )
    TimelineEntry.objects.create(
        incident=incident,
        kind=Kind.ALERT,
        occurred_at=incident.started_at,
        body_html="<p>HighErrorRate firing</p>",
    )

    html = viewer_client.get(incident.get_absolute_url()).content.decode()

    assert "opened by Alertmanager" in html
    assert "Alert · Alertmanager" in html
    assert "HighErrorRate firing" in html


def test_the_suggestions_are_the_services_deployments_of_the_day_before_newest_first(
    responder_client,
):
    checkout, other = make_service("checkout"), make_service("other")
    start = at(2025, 5, 2, 12)
    older = make_deployment(checkout, finished_at=start - timedelta(hours=20))
    newer = make_deployment(checkout, finished_at=start - timedelta(hours=1))
    make_deployment(checkout, finished_at=start - timedelta(hours=25))
    make_deployment(
        checkout,
        started_at=start + timedelta(minutes=1),
        finished_at=start + timedelta(minutes=6),
    )
    make_deployment(other, finished_at=start - timedelta(hours=1))
    incident = make_incident([checkout], started_at=start)

    response = responder_client.get(incident.get_absolute_url())

    assert list(response.context["cause_options"]) == [newer, older]


def test_a_deployment_still_running_at_impact_start_is_suggested_by_its_start(
    responder_client,
):
    checkout = make_service("checkout")
    start = at(2025, 5, 2, 11, 55)
    finished_before = make_deployment(checkout, finished_at=at(2025, 5, 2, 11, 40))
    running = make_deployment(
        checkout, started_at=at(2025, 5, 2, 11, 50), finished_at=at(2025, 5, 2, 12)
    )
    unfinished = make_deployment(
        checkout,
        status=Deployment.Status.IN_PROGRESS,
        started_at=at(2025, 5, 2, 11, 45),
    )
    incident = make_incident([checkout], started_at=start)

    response = responder_client.get(incident.get_absolute_url())

    assert list(response.context["cause_options"]) == [
        running,
        unfinished,
        finished_before,
    ]


@pytest.mark.parametrize("text", ["v1.4", "3f9c2a", "checkout"])
def test_a_cause_can_be_searched_by_version_sha_or_service(responder_client, text):
    checkout = make_service("checkout")
    wanted = make_deployment(
        checkout, version="v1.4.2", commit_sha="3f9c2ab0", finished_at=at(2024, 1, 1)
    )
    make_deployment(make_service("other"), version="v1.4.2", commit_sha="3f9c2ab1")
    incident = make_incident([checkout], started_at=at(2025, 1, 1))

    response = responder_client.get(
        _url("cause-search", incident), {"cause_q": text}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert list(response.context["cause_options"]) == [wanted]
    assert f'<option value="{wanted.pk}">' in response.content.decode()


def test_linking_a_cause_records_who_set_it(responder_client, responder):
    service = make_service("checkout")
    deployment = make_deployment(service, finished_at=at(2025, 1, 1))
    incident = make_incident([service], started_at=at(2025, 1, 1, 1))

    response = responder_client.post(
        _url("cause", incident), {"deployment": deployment.pk}
    )

    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.caused_by == deployment
    assert incident.cause_source == Incident.CauseSource.PERSON
    entry = incident.timeline.get()
    assert (entry.kind, entry.author) == (Kind.FIELD_CHANGE, responder)


def test_linking_a_deployment_of_another_service_is_refused_with_a_message(
    responder_client,
):
    deployment = make_deployment(make_service("other"))
    incident = make_incident([make_service("checkout")])

    response = responder_client.post(
        _url("cause", incident), {"deployment": deployment.pk}, follow=True
    )

    assert "not of a service this incident affects" in response.content.decode()
    incident.refresh_from_db()
    assert incident.caused_by is None
    assert not incident.timeline.exists()


def test_linking_a_deployment_that_does_not_exist_answers_400_on_the_incident_page(
    responder_client,
):
    incident = make_incident(title="Checkout down")

    response = responder_client.post(_url("cause", incident), {"deployment": 999})

    html = response.content.decode()
    assert response.status_code == 400
    assert "There is no deployment 999 to link." in html
    assert "Checkout down" in html and 'id="note-form"' in html
    incident.refresh_from_db()
    assert incident.caused_by is None
    assert not incident.timeline.exists()


def test_a_deployment_id_wider_than_the_column_is_refused_not_a_500(responder_client):
    incident = make_incident()

    response = responder_client.post(_url("cause", incident), {"deployment": 2**64})

    assert response.status_code == 400
    assert "Pick a deployment." in response.content.decode()


def test_an_unknown_status_answers_400_on_the_incident_page(responder_client):
    incident = make_incident()

    response = responder_client.post(_url("status", incident), {"status": "gone"})

    assert response.status_code == 400
    assert "Pick a valid status." in response.content.decode()
    incident.refresh_from_db()
    assert incident.status == Incident.Status.INVESTIGATING


def test_each_status_change_stamps_its_time_and_writes_one_entry(responder_client):
    incident = make_incident(started_at=timezone.now() - timedelta(hours=1))

    for status in ("identified", "monitoring", "resolved", "investigating"):
        response = responder_client.post(_url("status", incident), {"status": status})
        assert response.status_code == 302

    incident.refresh_from_db()
    entries = list(incident.timeline.filter(kind=Kind.STATUS_CHANGE))
    assert incident.status == "investigating"
    assert incident.resolved_at is None
    assert incident.mitigated_at is not None
    assert [e.data["to"] for e in entries] == [
        "identified",
        "monitoring",
        "resolved",
        "investigating",
    ]
    assert entries[-1].body.startswith("Reopened")


def test_acknowledging_twice_explains_instead_of_failing(responder_client):
    incident = make_incident(started_at=timezone.now() - timedelta(hours=1))
    responder_client.post(_url("acknowledge", incident))

    response = responder_client.post(_url("acknowledge", incident), follow=True)

    assert "already acknowledged" in response.content.decode()
    assert incident.timeline.count() == 1


def test_a_tagged_note_is_rendered_as_sanitized_markdown(responder_client):
    incident = make_incident()

    responder_client.post(
        _url("note", incident),
        {"body": "**Rolled back** <script>alert(1)</script>", "tag": "repair"},
    )

    entry = incident.timeline.get()
    assert entry.tag == "repair"
    assert "<strong>Rolled back</strong>" in entry.body_html
    assert "<script" not in entry.body_html
    html = responder_client.get(incident.get_absolute_url()).content.decode()
    assert "<strong>Rolled back</strong>" in html
    assert "<script>alert(1)" not in html


def test_an_empty_note_stores_nothing(responder_client):
    incident = make_incident()

    response = responder_client.post(_url("note", incident), {"body": "  "})

    assert response.status_code == 400
    assert "A note needs some text." in response.content.decode()
    assert not incident.timeline.exists()


def test_a_note_with_an_unknown_tag_names_the_tag_and_keeps_the_text(
    responder_client,
):
    incident = make_incident()

    response = responder_client.post(
        _url("note", incident), {"body": "Rolled back v42", "tag": "blame"}
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert "Select a valid choice. blame is not one of the available choices." in html
    assert "A note needs some text." not in html
    assert "Rolled back v42</textarea>" in html
    assert not incident.timeline.exists()


def test_a_note_over_the_length_limit_says_so_and_keeps_the_text(responder_client):
    incident = make_incident()
    body = "x" * 20_001

    response = responder_client.post(_url("note", incident), {"body": body})

    html = response.content.decode()
    assert response.status_code == 400
    assert "at most 20000 characters (it has 20001)" in html
    assert f"{body}</textarea>" in html
    assert not incident.timeline.exists()


def test_htmx_gets_the_incident_part_with_the_note_errors_and_text(responder_client):
    incident = make_incident()

    response = responder_client.post(
        _url("note", incident),
        {"body": "Rolled back v42", "tag": "blame"},
        HTTP_HX_REQUEST="true",
    )

    html = response.content.decode()
    # htmx 2 swaps only 2xx answers into the page.
    assert response.status_code == 200
    assert html.lstrip().startswith('<article id="incident"')
    assert "blame is not one of the available choices" in html
    assert "A note needs some text." not in html
    assert "Rolled back v42</textarea>" in html
    assert not incident.timeline.exists()


def test_htmx_gets_the_refreshed_incident_and_header_counts(responder_client):
    incident = make_incident(severity="SEV1", started_at=timezone.now())

    response = responder_client.post(
        _url("status", incident), {"status": "resolved"}, HTTP_HX_REQUEST="true"
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<article id="incident"')
    assert 'id="open-counts"' in html and 'hx-swap-oob="true"' in html
    assert 'data-severity="SEV1">SEV1 0<' in html
    assert "<header" not in html


def test_the_detail_page_with_200_entries_makes_a_fixed_number_of_queries(
    viewer_client, django_assert_num_queries
):
    service = make_service("checkout")
    incident = make_incident([service], started_at=at(2025, 1, 1))
    for n in range(200):
        make_note(incident, f"note {n}", occurred_at=at(2025, 1, 1, 1, n % 60))
    make_deployment(service, finished_at=at(2024, 12, 31, 23))
    viewer_client.get(incident.get_absolute_url())

    # session, user, profile, groups, header counts, incident, services, inferred
    # cause, timeline.
    with django_assert_num_queries(9):
        response = viewer_client.get(incident.get_absolute_url())

    assert response.content.decode().count('<li class="kind-note') == 200


def test_a_responders_detail_page_adds_only_the_cause_suggestions(
    responder_client, django_assert_num_queries
):
    incident = make_incident()
    incident_services.add_note(incident=incident, body="x", actor=None)
    responder_client.get(incident.get_absolute_url())

    with django_assert_num_queries(10):
        response = responder_client.get(incident.get_absolute_url())

    assert response.status_code == 200


@pytest.mark.parametrize("page", ["detail", "list", "declare", "edit", "times"])
def test_pages_hold_no_inline_script_or_event_handler(responder_client, page):
    incident = make_incident()
    url = (
        reverse(f"incidents:{page}")
        if page in ("list", "declare")
        else _url(page, incident)
    )

    html = responder_client.get(url).content.decode()

    # A Content-Security-Policy of script-src 'self' must not break any page.
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []
    assert re.findall(r"\son[a-z]+\s*=", html) == []
    assert 'src="/static/js/htmx.min.js"' in html


def test_a_time_correction_is_shown_in_the_viewers_zone_with_utc_on_hover(
    responder_client, responder
):
    Profile.objects.create(user=responder, time_zone="Europe/Berlin")
    incident = make_incident(started_at=at(2025, 3, 1, 8, 0, 38, 855958))
    incident_services.update_incident(
        incident=incident, actor=responder, started_at=at(2025, 3, 1, 7, 30)
    )

    html = responder_client.get(incident.get_absolute_url()).content.decode()

    assert (
        "Started at changed from "
        '<time datetime="2025-03-01T08:00:38.855958Z" title="2025-03-01 08:00:38 UTC">'
        "2025-03-01 09:00 CET</time> to "
        '<time datetime="2025-03-01T07:30:00Z" title="2025-03-01 07:30:00 UTC">'
        "2025-03-01 08:30 CET</time>"
    ) in html
    assert "+00:00" not in html


def test_a_time_set_for_the_first_time_is_corrected_from_none(responder_client):
    incident = make_incident(started_at=at(2025, 3, 1, 8))
    incident_services.update_incident(
        incident=incident, actor=None, detected_at=at(2025, 3, 1, 8, 5)
    )

    html = responder_client.get(incident.get_absolute_url()).content.decode()

    assert "Detected at changed from (none) to <time" in html


def test_a_correction_whose_data_cannot_be_read_shows_its_body(responder_client):
    incident = make_incident()
    TimelineEntry.objects.create(
        incident=incident,
        kind=Kind.TIME_CORRECTION,
        occurred_at=incident.started_at,
        body_html="<p>Corrected by an import</p>",
        data={"field": "started_at", "from": "yesterday"},
    )

    html = responder_client.get(incident.get_absolute_url()).content.decode()

    assert "<p>Corrected by an import</p>" in html
