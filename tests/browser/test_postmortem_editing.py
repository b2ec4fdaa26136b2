import pytest
from django.contrib.auth.models import Group

from accounts.models import Role
from incidents.services.postmortems import save_postmortem, start_postmortem

from ..factories import make_incident, make_user
from .conftest import log_in, screenshot

BASE = "# Postmortem\n\n## Summary\n\n## Contributing factors\n"
FILLED = "\n\n".join(
    f"## {title}\n\n{title} text."
    for title in (
        "Summary", "Impact", "Contributing factors", "Trigger", "Detection",
        "Resolution", "Lessons learned",
    )
)  # fmt: skip


@pytest.fixture(autouse=True)
def roles(request):
    """Earlier live-server tests flush the database, roles included; put them back."""
    if "transactional_db" in request.fixturenames:
        for role in Role:
            Group.objects.get_or_create(name=role)


def test_the_second_of_two_concurrent_saves_is_refused_and_both_texts_kept(
    new_page, transactional_db
):
    make_user("alice", Role.RESPONDER)
    make_user("bob", Role.RESPONDER)
    postmortem = start_postmortem(incident=make_incident(), actor=None, body=BASE)
    edit = f"/incidents/{postmortem.incident.key}/postmortem/edit/"
    alice, bob = new_page(), new_page()
    log_in(alice, "alice")
    log_in(bob, "bob")
    alice.goto(edit)
    bob.goto(edit)

    alice.fill("#id_body", BASE + "Alice: the cache was cold.\n")
    alice.click("button[name=save]")
    alice.wait_for_selector("#postmortem-body")
    bob.fill("#id_body", BASE + "Bob: the alert was late.\n")
    bob.click("button[name=save]")
    bob.wait_for_selector("#conflict")
    screenshot(bob, "postmortem-conflict")

    assert bob.input_value("#id_body") == BASE + "Bob: the alert was late.\n"
    assert bob.input_value("#conflict-current") == BASE + "Alice: the cache was cold.\n"
    assert "+Bob: the alert was late." in bob.inner_text("pre.diff")
    assert "-Alice: the cache was cold." in bob.inner_text("pre.diff")
    postmortem.refresh_from_db()
    assert postmortem.version == 2
    assert "Bob" not in postmortem.body

    merged = BASE + "Alice: the cache was cold.\nBob: the alert was late.\n"
    bob.fill("#id_body", merged)
    bob.click("button[name=save]")
    bob.wait_for_selector("#postmortem-body")

    postmortem.refresh_from_db()
    assert (postmortem.body, postmortem.version) == (merged, 3)
    assert list(postmortem.revisions.values_list("version", "author__username")) == [
        (1, None),
        (2, "alice"),
        (3, "bob"),
    ]


def test_preview_works_with_the_plain_form_and_keeps_the_text(page, transactional_db):
    make_user("rita", Role.RESPONDER)
    postmortem = start_postmortem(incident=make_incident(), actor=None, body=BASE)
    log_in(page, "rita")

    page.goto(f"/incidents/{postmortem.incident.key}/postmortem/edit/")
    page.fill("#id_body", "| a | b |\n|---|---|\n| 1 | 2 |\n\nIt was human error.")
    page.click("button[name=preview]")
    page.wait_for_selector("#postmortem-preview table")

    assert page.input_value("#id_body").endswith("It was human error.")
    assert "human error" in page.inner_text("#blameless-findings")
    postmortem.refresh_from_db()
    assert postmortem.version == 1


def test_review_and_publication_in_the_browser(new_page, transactional_db):
    author = make_user("alice", Role.RESPONDER)
    make_user("bob", Role.RESPONDER)
    make_user("vera", Role.VIEWER)
    postmortem = start_postmortem(incident=make_incident(), actor=author, body=BASE)
    detail = f"/incidents/{postmortem.incident.key}/postmortem/"
    alice, bob, vera = new_page(), new_page(), new_page()
    for page, name in ((alice, "alice"), (bob, "bob"), (vera, "vera")):
        log_in(page, name)

    alice.goto(detail)
    alice.click("button:has-text('Send to review')")
    alice.wait_for_selector(".messages .error")
    assert "Fill these sections" in alice.inner_text(".messages")

    save_postmortem(postmortem=postmortem, body=FILLED, base_version=1, actor=author)
    alice.click("button:has-text('Send to review')")
    alice.wait_for_selector("#postmortem-status:has-text('In review')")
    alice.click("button:has-text('Approve and publish')")
    alice.wait_for_selector(".messages .error")

    bob.goto(detail)
    bob.click("button:has-text('Approve and publish')")
    bob.wait_for_selector("#postmortem-status:has-text('Published')")
    vera.goto(detail)
    screenshot(vera, "postmortem-published")

    assert vera.locator("button:has-text('Approve and publish')").count() == 0
    assert vera.locator("a:has-text('Edit'), a:has-text('Amend')").count() == 0
    postmortem.refresh_from_db()
    assert (postmortem.status, postmortem.approved_by.username) == ("published", "bob")
