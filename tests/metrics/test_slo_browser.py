"""The budget panel of a service page in real Chromium (fixtures from
tests/browser/conftest.py)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Role
from metrics.models import SLO, FreezeOverride
from tests.browser import conftest as browser
from tests.factories import make_incident, make_service, make_user

pytestmark = pytest.mark.browser

# The fixtures live in tests/browser/conftest.py; naming them here lends them out.
chromium, new_page, page = browser.chromium, browser.new_page, browser.page
log_in, screenshot, PHONE = browser.log_in, browser.screenshot, browser.PHONE


def test_an_admin_sees_the_frozen_budget_and_overrides_the_freeze(
    page, new_page, transactional_db
):
    service = make_service("checkout")
    SLO.objects.create(
        service=service, name="availability", target_percent=Decimal("99.9")
    )
    start = timezone.now() - timedelta(days=3)
    make_incident(
        [service], started_at=start, resolved_at=start + timedelta(minutes=30)
    )
    make_user("ada", Role.ADMIN)
    log_in(page, "ada")

    page.goto("/services/checkout/")
    assert page.locator(".slo-panel svg polyline").count() == 1
    assert "13.2 min" in page.locator(".slo-panel").inner_text()
    screenshot(page, "service-slo-desktop")
    page.fill("textarea[name=reason]", "Shipping the fix for INC-1")
    page.fill("input[name=hours]", "2")
    page.click("button:has-text('Override')")
    page.wait_for_selector("text=Freeze overridden by ada")

    override = FreezeOverride.objects.get()
    assert override.reason == "Shipping the fix for INC-1"
    phone = new_page(PHONE)
    log_in(phone, "ada")
    phone.goto("/services/checkout/")
    screenshot(phone, "service-slo-phone")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
