"""The memory bank over HTTP: each file as Markdown, the zip, the index, the preview
page, and who may read them."""

import io
import zipfile

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from metrics.memory_bank import scheduling
from metrics.memory_bank.export import FILE_NAMES, export_memory_bank
from tests.factories import make_service

from .golden.history import build_history


@pytest.fixture(autouse=True)
def bank_dir(settings, tmp_path):
    cache.clear()
    settings.MEMORY_BANK_DIR = tmp_path / "bank"
    yield settings.MEMORY_BANK_DIR
    cache.clear()


@pytest.fixture
def exported(db, bank_dir):
    build_history()
    export_memory_bank()
    return bank_dir


@pytest.fixture
def viewer_api(viewer):
    client = APIClient()
    client.force_authenticate(viewer)
    return client


@pytest.mark.parametrize("name", FILE_NAMES)
def test_a_viewer_gets_each_file_as_markdown(viewer_api, exported, name):
    response = viewer_api.get(f"/api/memory-bank/{name}")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response.content == (exported / name).read_bytes()


def test_an_integration_token_may_not_read_the_files(api, exported):
    # Integrations only post deployments and alerts; an agent reads the files with
    # a token of the viewer role (create_api_token NAME --role viewer).
    response = api.get("/api/memory-bank/CLAUDE-metrics.md")

    assert response.status_code == 403


def test_a_viewer_token_reads_the_files(db, exported):
    from rest_framework.test import APIClient

    from accounts.models import Role

    from ..factories import make_token

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token('agent', Role.VIEWER)}")

    response = client.get("/api/memory-bank/CLAUDE-metrics.md")

    assert response.status_code == 200
    assert response.content.startswith(b"---\nschema_version: 1\n")


def test_an_unknown_file_is_a_404_in_the_error_shape(viewer_api, exported):
    response = viewer_api.get("/api/memory-bank/secrets.md")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_path_tricks_do_not_reach_other_files(viewer_api, exported):
    response = viewer_api.get("/api/memory-bank/..%2F..%2Fconfig%2Fsettings.py")

    assert response.status_code == 404


@pytest.mark.parametrize(
    "path", ["/api/memory-bank/CLAUDE-metrics.md", "/api/memory-bank.zip"]
)
def test_anonymous_and_roleless_users_are_refused(client, outsider, exported, path):
    assert APIClient().get(path).status_code in (401, 403)

    roleless = APIClient()
    roleless.force_authenticate(outsider)
    assert roleless.get(path).status_code == 403


def test_the_zip_holds_the_three_files_and_is_stable(viewer_api, exported):
    first = viewer_api.get("/api/memory-bank.zip")
    second = viewer_api.get("/api/memory-bank.zip")

    assert first.status_code == 200
    assert first["Content-Type"] == "application/zip"
    assert "hindsight-memory-bank.zip" in first["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(first.content))
    assert archive.namelist() == list(FILE_NAMES)
    for name in FILE_NAMES:
        assert archive.read(name) == (exported / name).read_bytes()
    assert first.content == second.content


def test_the_index_lists_the_files_and_the_archive(viewer_api, exported):
    response = viewer_api.get("/api/memory-bank/")

    assert response.status_code == 200
    names = [entry["name"] for entry in response.json()["files"]]
    assert names == list(FILE_NAMES)
    assert response.json()["archive"].endswith("/api/memory-bank.zip")


def test_a_missing_bank_is_exported_on_first_request(viewer_api, db, bank_dir):
    make_service("checkout")

    response = viewer_api.get("/api/memory-bank/CLAUDE-infrastructure.md")

    assert response.status_code == 200
    assert b"checkout" in response.content
    assert sorted(p.name for p in bank_dir.iterdir()) == sorted(FILE_NAMES)


def test_a_dirty_bank_is_exported_before_it_is_served(viewer_api, exported):
    make_service("brand-new-service")
    scheduling.mark_dirty()

    response = viewer_api.get("/api/memory-bank/CLAUDE-infrastructure.md")

    assert b"brand-new-service" in response.content
    assert not scheduling.is_dirty()


def test_the_preview_page_renders_the_markdown(viewer_client, exported):
    response = viewer_client.get("/metrics/memory-bank/?file=CLAUDE-incidents.md")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<h2 id="pm-open-incidents">Open incidents</h2>' in html
    assert "<table>" in html
    assert "schema_version: 1" in html  # the front matter, shown as text
    assert 'href="/api/memory-bank/CLAUDE-incidents.md"' in html


def test_the_preview_page_defaults_to_the_first_file(viewer_client, exported):
    response = viewer_client.get("/metrics/memory-bank/")

    assert response.status_code == 200
    assert "Service catalogue" in response.content.decode()


def test_the_preview_page_refuses_unknown_files_and_roleless_users(
    client, outsider, viewer_client, exported
):
    assert viewer_client.get("/metrics/memory-bank/?file=x.md").status_code == 404

    client.force_login(outsider)
    assert client.get("/metrics/memory-bank/").status_code == 403


def test_a_client_that_accepts_only_markdown_gets_the_file(viewer_api, exported):
    response = viewer_api.get(
        "/api/memory-bank/CLAUDE-incidents.md", HTTP_ACCEPT="text/markdown"
    )

    assert response.status_code == 200
    assert response.content == (exported / "CLAUDE-incidents.md").read_bytes()


def test_an_unknown_file_asked_for_as_markdown_still_gets_the_json_error(
    viewer_api, exported
):
    response = viewer_api.get("/api/memory-bank/nope.md", {"format": "md"})

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"
