"""Long user text never makes a page wider than a phone (375 px): it wraps, or a
table scrolls inside its own box."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Role
from metrics.models import SLO, FreezeOverride

from ..factories import make_deployment, make_incident, make_service, make_user
from .conftest import PHONE, log_in, screenshot

# The longest slug a service may have, with nowhere to break it.
LONG_SLUG = "a" * 100
LONG_TEXT = "x" * 300


@pytest.fixture
def long_service(transactional_db):
    service = make_service(LONG_SLUG, name="N" * 200, description=LONG_TEXT)
    make_service("b" * 100)
    return service


@pytest.fixture
def phone(new_page):
    make_user("ada", Role.ADMIN)
    page = new_page(PHONE)
    log_in(page, "ada")
    return page


def _page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_the_declare_form_with_long_service_slugs_fits_a_phone(phone, long_service):
    phone.goto("/incidents/declare/")

    screenshot(phone, "declare-long-slug-phone")
    assert _page_width(phone) <= PHONE["width"]


def test_the_edit_form_with_long_service_slugs_fits_a_phone(phone, long_service):
    incident = make_incident([long_service], title="T" * 300)

    phone.goto(f"/incidents/{incident.key}/edit/")

    assert _page_width(phone) <= PHONE["width"]


def test_an_incident_with_a_long_service_slug_fits_a_phone(phone, long_service):
    incident = make_incident([long_service], title="T" * 300, summary=LONG_TEXT)
    make_deployment(long_service, version="v" * 100, finished_at=incident.started_at)

    phone.goto(f"/incidents/{incident.key}/")

    assert _page_width(phone) <= PHONE["width"]


def test_a_service_page_with_a_long_override_reason_fits_a_phone(phone, long_service):
    SLO.objects.create(
        service=long_service, name="s" * 100, target_percent=Decimal("99.9")
    )
    FreezeOverride.objects.create(
        service=long_service,
        reason=LONG_TEXT,
        expires_at=timezone.now() + timedelta(hours=2),
    )
    make_incident([long_service], title="T" * 300)

    phone.goto(f"/services/{LONG_SLUG}/")

    screenshot(phone, "service-long-text-phone")
    assert _page_width(phone) <= PHONE["width"]


def test_the_memory_bank_preview_fits_a_phone(phone, long_service):
    make_deployment(long_service, version="v" * 100, finished_at=timezone.now())

    phone.goto("/metrics/memory-bank/?file=CLAUDE-infrastructure.md")

    assert _page_width(phone) <= PHONE["width"]
