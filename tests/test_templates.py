"""The Content-Security-Policy allows no inline script or <style> element; this keeps
templates from growing one that the policy would silently block."""

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def test_no_template_has_an_inline_script_or_style_element():
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        if "<style" in text or re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text):
            offenders.append(str(path.relative_to(TEMPLATES)))

    assert offenders == []


def test_a_refused_page_explains_itself(viewer_client):
    response = viewer_client.get("/incidents/declare/")

    assert response.status_code == 403
    assert "Your role does not allow this" in response.content.decode()
