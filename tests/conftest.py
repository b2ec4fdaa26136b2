import pytest
from rest_framework.test import APIClient

from accounts.models import Role

from .celery_fixtures import celery_worker_factory  # noqa: F401  (a shared fixture)
from .factories import make_token, make_user


@pytest.fixture(autouse=True)
def _no_stray_background_exports(monkeypatch):
    """In the embedded mode a committed change starts a background memory-bank
    export that sleeps before it runs; left running, it would outlive its test and
    export in the middle of another. Tests that want the thread patch this back."""
    from metrics.memory_bank import scheduling

    monkeypatch.setattr(scheduling, "_threads_can_see_the_data", lambda: False)


@pytest.fixture(autouse=True)
def _fresh_dora_figures():
    """Factories write rows without announcing a change; figures cached by an
    earlier test must not answer for this one."""
    from metrics.dora.cache import forget_figures

    forget_figures()


@pytest.fixture
def viewer(db):
    return make_user("vera", Role.VIEWER)


@pytest.fixture
def responder(db):
    return make_user("rita", Role.RESPONDER)


@pytest.fixture
def admin_user(db):
    return make_user("ada", Role.ADMIN)


@pytest.fixture
def outsider(db):
    """Logged in, but holds no role."""
    return make_user("otto")


@pytest.fixture
def api(db):
    """An API client authenticated with an integration token."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token('ci')}")
    return client


@pytest.fixture
def responder_client(client, responder):
    client.force_login(responder)
    return client


@pytest.fixture
def viewer_client(client, viewer):
    client.force_login(viewer)
    return client
