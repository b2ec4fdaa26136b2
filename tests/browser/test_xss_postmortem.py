"""Hostile Markdown rendered in real Chromium: none of it may run.

Every payload tries to set ``window.__xss`` or open a dialog. The corpus is first
shown to execute when it is NOT sanitized, so the flag is a live detector; then it
goes through every page that shows postmortem text."""

import markdown
import pytest
from django.contrib.auth.models import Group

from accounts.models import Role
from incidents.services.postmortems import save_postmortem, start_postmortem

from ..factories import make_incident, make_user
from .conftest import log_in, screenshot

FLAG = "window.__xss=1"
PAYLOADS = [
    f"<script>{FLAG}</script>",
    f"<ScRiPt>{FLAG}</sCrIpT>",
    f'<img src=x onerror="{FLAG}">',
    f"<img src=x onerror={FLAG}>",
    f'<IMG SRC=x OnErRoR="{FLAG}">',
    f'<svg onload="{FLAG}"><circle r="1"/></svg>',
    f"<svg><script>{FLAG}</script></svg>",
    f'<body onload="{FLAG}">',
    f'<iframe src="javascript:{FLAG}"></iframe>',
    f'<iframe srcdoc="<script>parent.{FLAG}</script>"></iframe>',
    f'<form action="javascript:{FLAG}"><button id="xss-submit">go</button></form>',
    f'<a id="xss-link-1" href="javascript:{FLAG}">plain</a>',
    f'<a id="xss-link-2" href="JaVaScRiPt:{FLAG}">mixed case</a>',
    f'<a id="xss-link-3" href="&#106;&#97;vascript:{FLAG}">entities</a>',
    f'<a id="xss-link-4" href="java&#x09;script:{FLAG}">tab entity</a>',
    f'<a id="xss-link-5" href="&#x6A;avascript&#x3A;{FLAG}">hex entities</a>',
    '<a id="xss-link-6" href="data:text/html,<script>opener.__xss=1</script>">d</a>',
    f"[md link](javascript:{FLAG})",
    f"[md mixed](JaVaScript:{FLAG})",
    f"![md image](javascript:{FLAG})",
    "![svg data](data:image/svg+xml,<svg onload='window.__xss=1'/>)",
    f'<div style="background:url(javascript:{FLAG})">style url</div>',
    '<p style="position:fixed;inset:0;background:red">overlay</p>',
    "<style>body{display:none}</style>",
    f"<<script>script>{FLAG}<</script>/script>",
    f'<img src="x" """ onerror="{FLAG}">',
    f"<math><mtext><table><mglyph><style><img src=x onerror={FLAG}>",
    f'<details open ontoggle="{FLAG}">x</details>',
    f'<input autofocus onfocus="{FLAG}">',
    f'<object data="javascript:{FLAG}"></object>',
    f'<embed src="javascript:{FLAG}">',
    f'<meta http-equiv="refresh" content="0;url=javascript:{FLAG}">',
    f'<noscript><p title="</noscript><img src=x onerror={FLAG}>"></noscript>',
    f"```\n</code></pre><script>{FLAG}</script>\n```",
    f'<a href="#" onclick="{FLAG}" id="xss-click">click me</a>',
    f'<video><source onerror="{FLAG}"></video>',
]
# Markdown payloads first: after a raw HTML block, python-markdown would take the
# following lines as HTML, and the links would never be parsed as Markdown.
MARKDOWN_FIRST = sorted(
    PAYLOADS, key=lambda payload: not payload.startswith(("[", "!"))
)
BODY = "# Hostile\n\n" + "\n\n".join(MARKDOWN_FIRST) + "\n"


@pytest.fixture(autouse=True)
def roles(request):
    """Earlier live-server tests flush the database, roles included; put them back."""
    if "transactional_db" in request.fixturenames:
        for role in Role:
            Group.objects.get_or_create(name=role)


def _watch(page) -> list[str]:
    dialogs: list[str] = []

    def on_dialog(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return dialogs


def _assert_nothing_ran(page, dialogs):
    page.wait_for_timeout(300)  # let onerror/onload handlers fire if any exist
    links = page.locator("article a, article button")
    for index in range(links.count()):
        links.nth(index).click(no_wait_after=True)
    page.wait_for_timeout(200)
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert dialogs == []


def test_the_corpus_runs_when_it_is_not_sanitized(chromium):
    raw = markdown.markdown(BODY, extensions=["fenced_code"])
    context = chromium.new_context()
    page = context.new_page()

    page.set_content(f"<html><body>{raw}</body></html>")
    page.wait_for_timeout(300)

    assert page.evaluate("window.__xss") == 1
    context.close()


def test_no_payload_runs_on_any_postmortem_page(new_page, transactional_db):
    author = make_user("rita", Role.RESPONDER)
    postmortem = start_postmortem(incident=make_incident(), actor=author, body="v1")
    save_postmortem(postmortem=postmortem, body=BODY, base_version=1, actor=author)
    key = postmortem.incident.key
    page = new_page()
    dialogs = _watch(page)
    log_in(page, "rita")

    for path in (
        f"/incidents/{key}/postmortem/",
        f"/incidents/{key}/postmortem/revisions/",
        f"/incidents/{key}/postmortem/edit/",
        "/postmortems/",
    ):
        page.goto(path)
        _assert_nothing_ran(page, dialogs)
        page.goto(path)  # links may have navigated away; come back before moving on

    page.goto(f"/incidents/{key}/postmortem/")
    assert page.locator("#postmortem-body h1").inner_text() == "Hostile"
    screenshot(page, "postmortem-xss-detail")


def test_no_payload_runs_in_the_preview_or_the_conflict_view(
    new_page, transactional_db
):
    author = make_user("rita", Role.RESPONDER)
    postmortem = start_postmortem(incident=make_incident(), actor=author, body="v1")
    key = postmortem.incident.key
    page = new_page()
    dialogs = _watch(page)
    log_in(page, "rita")

    page.goto(f"/incidents/{key}/postmortem/edit/")
    page.fill("#id_body", BODY)
    page.click("button[name=preview]")
    page.wait_for_selector("#postmortem-preview")
    _assert_nothing_ran(page, dialogs)

    page.goto(f"/incidents/{key}/postmortem/edit/")
    save_postmortem(postmortem=postmortem, body=BODY, base_version=1, actor=author)
    page.fill("#id_body", BODY + "\nmine\n")
    page.click("button[name=save]")
    page.wait_for_selector("#conflict")
    _assert_nothing_ran(page, dialogs)
    assert page.input_value("#conflict-current") == BODY
