from datetime import timedelta

from accounts.models import Role
from incidents.models import Incident, TimelineEntry

from ..factories import make_deployment, make_incident, make_service, make_user
from .conftest import PHONE, log_in, screenshot

Kind = TimelineEntry.Kind


def _declare(page, service, title: str) -> Incident:
    page.goto("/incidents/declare/")
    page.fill("#id_title", title)
    page.select_option("#id_severity", "SEV2")
    page.check(f"input[name=services][value='{service.pk}']")
    page.click("button:has-text('Declare')")
    page.wait_for_selector("#incident-status")
    return Incident.objects.get(title=title)


def test_a_responder_declares_acknowledges_notes_links_the_cause_and_resolves(
    page, transactional_db
):
    service = make_service("checkout")
    make_user("rita", Role.RESPONDER)
    log_in(page, "rita")

    incident = _declare(page, service, "Checkout returns 502")
    deployment = make_deployment(
        service, version="v42", finished_at=incident.started_at - timedelta(hours=1)
    )
    assert page.url.endswith(f"/incidents/{incident.key}/")

    page.click("button:has-text('Acknowledge')")
    page.wait_for_selector("#incident-actions:not(:has-text('Acknowledge'))")
    page.fill("#id_body", "Rolled back **v42**")
    page.select_option("#id_tag", "repair")
    page.click("button:has-text('Add note')")
    page.wait_for_selector(".timeline strong:has-text('v42')")
    page.reload()
    page.select_option("#cause-deployment", str(deployment.pk))
    page.click("button:has-text('Link cause')")
    page.wait_for_selector("#incident-cause:has-text('set by a person')")
    page.click("button[data-status=resolved]")
    page.wait_for_selector("#incident-status:has-text('Resolved')")
    page.wait_for_selector("#open-counts [data-severity=SEV2]:has-text('SEV2 0')")
    screenshot(page, "incident-resolved-desktop")

    incident.refresh_from_db()
    assert incident.status == Incident.Status.RESOLVED
    assert incident.acknowledged_at is not None
    assert incident.caused_by == deployment
    assert incident.cause_source == Incident.CauseSource.PERSON
    kinds = list(incident.timeline.values_list("kind", flat=True))
    assert kinds.count(Kind.STATUS_CHANGE) == 3  # declared, acknowledged, resolved
    assert incident.timeline.get(kind=Kind.NOTE).tag == "repair"
    assert page.inner_html(".timeline").count("<strong>v42</strong>") == 1
    assert incident.resolved_at >= incident.started_at


def test_a_responder_searches_for_an_older_deployment_to_link(page, transactional_db):
    service = make_service("checkout")
    incident = make_incident([service])
    old = make_deployment(
        service,
        version="v1.2.3",
        commit_sha="abc1234def",
        finished_at=incident.started_at - timedelta(days=3),
    )
    make_user("rita", Role.RESPONDER)
    log_in(page, "rita")
    page.goto(incident.get_absolute_url())

    page.fill("#cause-q", "abc123")
    page.wait_for_selector(
        f"#cause-deployment option[value='{old.pk}']", state="attached"
    )
    page.select_option("#cause-deployment", str(old.pk))
    page.click("button:has-text('Link cause')")
    page.wait_for_selector("#incident-cause:has-text('v1.2.3')")

    incident.refresh_from_db()
    assert incident.caused_by == old


def test_the_core_flow_works_without_javascript(new_page, transactional_db):
    page = new_page(java_script_enabled=False)
    service = make_service("checkout")
    make_user("rita", Role.RESPONDER)
    log_in(page, "rita")

    incident = _declare(page, service, "No JS here")
    page.click("button[data-status=identified]")
    page.wait_for_selector("#incident-status:has-text('Identified')")
    page.fill("#id_body", "Found it")
    page.click("button:has-text('Add note')")
    page.wait_for_selector(".timeline:has-text('Found it')")
    page.click("button[data-status=resolved]")
    page.wait_for_selector("#incident-status:has-text('Resolved')")

    incident.refresh_from_db()
    assert incident.status == Incident.Status.RESOLVED
    assert [
        e.data.get("to") for e in incident.timeline.filter(kind=Kind.STATUS_CHANGE)
    ] == [
        "investigating",
        "identified",
        "resolved",
    ]
    assert incident.timeline.filter(kind=Kind.NOTE, body="Found it").exists()


def test_a_viewer_sees_no_controls_and_a_forced_post_gets_403(page, transactional_db):
    incident = make_incident([make_service("checkout")])
    make_user("vera", Role.VIEWER)
    log_in(page, "vera")

    page.goto(incident.get_absolute_url())
    forms = page.locator("main form").count()
    buttons = page.locator("main button").count()
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    forced = page.request.post(
        f"/incidents/{incident.key}/status/",
        form={"status": "resolved", "csrfmiddlewaretoken": csrf},
        headers={"Referer": page.url},
    )

    assert forms == 0
    assert buttons == 0
    assert page.locator("text=Declare an incident").count() == 0
    assert forced.status == 403
    incident.refresh_from_db()
    assert incident.status == Incident.Status.INVESTIGATING


def test_screenshots_of_the_list_and_detail_at_desktop_and_phone_width(
    new_page, transactional_db
):
    checkout, search = make_service("checkout"), make_service("search")
    incidents = [
        make_incident([checkout], title="Checkout returns 502 for card payments"),
        make_incident(
            [search, checkout], title="Search latency p99 over 2 s", severity="SEV1"
        ),
        make_incident([search], title="Stale index after reindex job", severity="SEV4"),
    ]
    make_user("rita", Role.RESPONDER)
    shots = []
    for name, viewport in (("desktop", None), ("phone", PHONE)):
        page = new_page(viewport) if viewport else new_page()
        log_in(page, "rita")
        page.goto("/incidents/")
        shots.append(screenshot(page, f"incident-list-{name}"))
        page.goto(incidents[1].get_absolute_url())
        shots.append(screenshot(page, f"incident-detail-{name}"))
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"], f"{name} scrolls sideways"

    assert all(path.stat().st_size > 10_000 for path in shots)
