from datetime import timedelta

from accounts.models import Role
from incidents.models import Incident, TimelineEntry

from ..factories import make_deployment, make_service, make_user
from .conftest import log_in, screenshot


def test_a_responder_declares_notes_links_the_cause_and_resolves(
    page, transactional_db
):
    service = make_service("checkout")
    make_user("rita", Role.RESPONDER)
    log_in(page, "rita")

    page.goto("/incidents/declare/")
    page.fill("#id_title", "Checkout returns 502")
    page.select_option("#id_severity", "SEV2")
    page.check(f"input[name=services][value='{service.pk}']")
    page.click("button:has-text('Declare')")
    page.wait_for_selector("#incident-status")
    incident = Incident.objects.get()
    deployment = make_deployment(
        service, finished_at=incident.started_at - timedelta(hours=1)
    )
    assert page.url.endswith(f"/incidents/{incident.key}/")

    page.fill("#id_body", "Rolled back **v42**")
    page.click("button:has-text('Add note')")
    page.wait_for_selector("text=Rolled back")
    page.reload()
    page.select_option("#cause-deployment", str(deployment.pk))
    page.click("button:has-text('Link cause')")
    page.click("button:has-text('Resolved')")
    page.wait_for_selector("#incident-status:has-text('Resolved')")
    screenshot(page, "incident-detail-desktop")

    incident.refresh_from_db()
    assert incident.status == Incident.Status.RESOLVED
    assert incident.caused_by == deployment
    kinds = list(incident.timeline.values_list("kind", flat=True))
    assert kinds.count(TimelineEntry.Kind.STATUS_CHANGE) == 2
    assert TimelineEntry.Kind.NOTE in kinds
    assert page.inner_html(".timeline").count("<strong>v42</strong>") == 1
    assert incident.resolved_at >= incident.started_at
