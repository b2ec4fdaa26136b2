from datetime import timedelta

import pytest
from django.test import override_settings

from accounts.models import Role
from incidents.errors import ConflictError, DomainError
from incidents.models import Postmortem, PostmortemTemplate
from incidents.services.incidents import update_incident
from incidents.services.postmortems import (
    approve_postmortem,
    return_to_draft,
    save_postmortem,
    start_postmortem,
    submit_for_review,
    template_body,
)

from ..factories import at, make_incident, make_note, make_service, make_user

FILLED = """# Postmortem

## Summary
Checkout failed for 20 minutes.

## Impact
Half of the payments were refused.

## Contributing factors
The retry budget was shared across tenants.

## Trigger
A config push.

## Detection
The error-rate alert fired.

## Resolution
Rolled back the config.

## Lessons learned
Budgets per tenant.
"""


@pytest.fixture
def author(db):
    return make_user("rita", Role.RESPONDER)


@pytest.fixture
def reviewer(db):
    return make_user("rev", Role.RESPONDER)


@pytest.fixture
def postmortem(author):
    incident = make_incident(title="Checkout down")
    return start_postmortem(incident=incident, actor=author, body=FILLED)


@override_settings(TIME_ZONE="Europe/Berlin")
def test_the_template_fills_the_timeline_in_the_team_zone(db):
    incident = make_incident(
        [make_service("checkout")], started_at=at(2025, 7, 1, 10, 0), title="Slow"
    )
    make_note(incident, "Paged | on-call", occurred_at=at(2025, 7, 1, 10, 5))

    body = template_body(incident)

    assert body.startswith(f"# Postmortem: {incident.key} Slow\n")
    assert "| 2025-07-01 12:05 CEST | Paged \\| on-call |" in body
    assert "services: checkout" in body
    for heading in [
        "Summary", "Impact", "Timeline", "Contributing factors", "Trigger",
        "Detection", "Resolution", "What went well", "What went wrong",
        "Where we got lucky", "Lessons learned", "Action items",
    ]:  # fmt: skip
        assert f"\n## {heading}\n" in body


@override_settings(TIME_ZONE="Europe/Berlin")
def test_the_template_shows_time_corrections_plainly_in_the_team_zone(db):
    incident = make_incident(started_at=at(2025, 7, 1, 10, 0, 38, 855958))
    update_incident(incident=incident, actor=None, started_at=at(2025, 7, 1, 9, 30))

    body = template_body(incident)

    assert (
        "Started at changed from 2025-07-01 12:00 CEST to 2025-07-01 11:30 CEST |"
    ) in body
    assert "\\-" not in body and "+00:00" not in body


def test_an_admin_template_replaces_the_file_and_cannot_reach_the_database(db):
    PostmortemTemplate.objects.create(
        body="# ${key}\n\n## Notes\n${title} {{ incident.created_by.password }} $nope",
        required_sections="Notes",
    )
    incident = make_incident(title="Queue stuck")

    body = template_body(incident)

    assert body == (
        f"# {incident.key}\n\n## Notes\nQueue stuck "
        "{{ incident.created_by.password }} $nope"
    )


def test_starting_writes_version_one_and_its_revision(postmortem, author):
    assert postmortem.version == 1
    assert postmortem.status == Postmortem.Status.DRAFT
    revision = postmortem.revisions.get()
    assert (revision.version, revision.author, revision.body) == (1, author, FILLED)


def test_starting_twice_is_rejected(postmortem, author):
    with pytest.raises(DomainError):
        start_postmortem(incident=postmortem.incident, actor=author)


def test_a_save_on_the_current_version_bumps_it_and_keeps_a_revision(
    postmortem, reviewer
):
    saved = save_postmortem(
        postmortem=postmortem, body="new\r\ntext", base_version=1, actor=reviewer
    )

    assert saved.version == 2
    assert saved.body == "new\ntext"
    assert saved.body_html == "<p>new<br>\ntext</p>"
    assert list(saved.revisions.values_list("version", "author")) == [
        (1, postmortem.author_id),
        (2, reviewer.pk),
    ]


def test_a_stale_save_is_refused_and_changes_nothing(postmortem, author, reviewer):
    save_postmortem(postmortem=postmortem, body="first", base_version=1, actor=author)

    with pytest.raises(ConflictError) as error:
        save_postmortem(
            postmortem=postmortem, body="second", base_version=1, actor=reviewer
        )

    assert "version 2" in error.value.message
    postmortem.refresh_from_db()
    assert (postmortem.version, postmortem.body) == (2, "first")
    assert postmortem.revisions.count() == 2


def test_saving_the_same_text_again_makes_no_new_version(postmortem, author):
    saved = save_postmortem(
        postmortem=postmortem, body=FILLED, base_version=1, actor=author
    )

    assert saved.version == 1
    assert saved.revisions.count() == 1


def test_review_needs_the_required_sections_filled(author):
    incident = make_incident()
    postmortem = start_postmortem(incident=incident, actor=author)

    with pytest.raises(DomainError) as error:
        submit_for_review(postmortem=postmortem, actor=author)

    assert error.value.code == "sections_missing"
    assert "Summary" in error.value.message
    assert "Lessons learned" in error.value.message
    postmortem.refresh_from_db()
    assert postmortem.status == Postmortem.Status.DRAFT


def test_review_then_approval_by_another_person_publishes(postmortem, author, reviewer):
    submit_for_review(postmortem=postmortem, actor=author)
    published = approve_postmortem(postmortem=postmortem, actor=reviewer)

    assert published.status == Postmortem.Status.PUBLISHED
    assert published.approved_by == reviewer
    assert published.published_at is not None
    assert published.submitted_by == author


def test_the_author_cannot_approve_their_own_postmortem(postmortem, author):
    submit_for_review(postmortem=postmortem, actor=author)

    with pytest.raises(DomainError) as error:
        approve_postmortem(postmortem=postmortem, actor=author)

    assert error.value.code == "self_approval"
    postmortem.refresh_from_db()
    assert postmortem.status == Postmortem.Status.IN_REVIEW


def test_whoever_sent_it_to_review_cannot_approve_it(postmortem, reviewer):
    submit_for_review(postmortem=postmortem, actor=reviewer)

    with pytest.raises(DomainError):
        approve_postmortem(postmortem=postmortem, actor=reviewer)


def test_a_draft_cannot_be_approved(postmortem, reviewer):
    with pytest.raises(DomainError) as error:
        approve_postmortem(postmortem=postmortem, actor=reviewer)

    assert error.value.code == "invalid_transition"


def test_a_postmortem_in_review_can_return_to_draft(postmortem, author, reviewer):
    submit_for_review(postmortem=postmortem, actor=author)

    returned = return_to_draft(postmortem=postmortem, actor=reviewer)

    assert returned.status == Postmortem.Status.DRAFT
    with pytest.raises(DomainError):
        return_to_draft(postmortem=postmortem, actor=reviewer)


def test_a_published_postmortem_changes_only_by_an_amendment_with_a_reason(
    postmortem, author, reviewer
):
    submit_for_review(postmortem=postmortem, actor=author)
    approve_postmortem(postmortem=postmortem, actor=reviewer)

    with pytest.raises(DomainError) as error:
        save_postmortem(postmortem=postmortem, body="x", base_version=1, actor=author)
    amended = save_postmortem(
        postmortem=postmortem,
        body=FILLED + "\nA late finding.\n",
        base_version=1,
        actor=author,
        reason="Vendor report arrived",
    )

    assert error.value.field == "reason"
    assert amended.status == Postmortem.Status.PUBLISHED
    assert amended.version == 2
    assert amended.revisions.get(version=2).reason == "Amendment: Vendor report arrived"


def test_a_save_racing_a_publication_is_refused(
    postmortem, author, reviewer, monkeypatch
):
    submit_for_review(postmortem=postmortem, actor=author)
    # The save read the postmortem in review; it is published before the write.
    read_before = Postmortem.objects.get(pk=postmortem.pk)
    approve_postmortem(postmortem=postmortem, actor=reviewer)
    monkeypatch.setattr(
        "incidents.services.postmortems._current", lambda postmortem: read_before
    )

    with pytest.raises(ConflictError) as error:
        save_postmortem(postmortem=postmortem, body="x", base_version=1, actor=author)

    assert error.value.field == "status"
    postmortem.refresh_from_db()
    assert (postmortem.body, postmortem.version) == (FILLED, 1)
    assert postmortem.status == Postmortem.Status.PUBLISHED


def test_due_dates_follow_the_setting(db):
    from incidents.postmortem_selectors import postmortems_due

    resolved = at(2025, 3, 1, 12)
    sev1 = make_incident(severity="SEV1", resolved_at=resolved)
    make_incident(severity="SEV3", resolved_at=resolved)
    make_incident(severity="SEV2")  # still open

    with override_settings(POSTMORTEM_DUE_DAYS=3):
        due = postmortems_due(
            user=make_user("vera", Role.VIEWER),
            now=resolved + timedelta(days=3, seconds=1),
        )

    assert [(d.incident, d.due_at, d.is_overdue) for d in due] == [
        (sev1, at(2025, 3, 4, 12), True)
    ]


def test_a_published_postmortem_is_no_longer_due(postmortem, author, reviewer):
    from incidents.postmortem_selectors import postmortems_due

    incident = postmortem.incident
    incident.status = "resolved"
    incident.resolved_at = incident.started_at + timedelta(hours=1)
    incident.save()
    assert [d.incident for d in postmortems_due(user=author)] == [incident]

    submit_for_review(postmortem=postmortem, actor=author)
    approve_postmortem(postmortem=postmortem, actor=reviewer)

    assert postmortems_due(user=author) == []


def test_a_save_racing_another_save_is_refused_by_the_conditional_update(
    postmortem, author, reviewer, monkeypatch
):
    # Both editors read version 1; the other one's save lands first.
    read_before = Postmortem.objects.get(pk=postmortem.pk)
    save_postmortem(
        postmortem=postmortem, body="theirs", base_version=1, actor=reviewer
    )
    monkeypatch.setattr(
        "incidents.services.postmortems._current", lambda postmortem: read_before
    )

    with pytest.raises(ConflictError) as error:
        save_postmortem(
            postmortem=postmortem, body="mine", base_version=1, actor=author
        )

    assert error.value.field == "version"
    assert "version 2" in error.value.message
    postmortem.refresh_from_db()
    assert (postmortem.body, postmortem.version) == ("theirs", 2)
    assert postmortem.body_html == "<p>theirs</p>"
    assert postmortem.revisions.count() == 2


def test_the_admin_template_decides_which_sections_are_required(author):
    PostmortemTemplate.objects.create(
        body="# ${key}\n\n## Story\n\n## Fixes\n", required_sections="Story\n\n"
    )
    postmortem = start_postmortem(incident=make_incident(), actor=author)
    assert postmortem.body.endswith("## Story\n\n## Fixes\n")

    with pytest.raises(DomainError) as error:
        submit_for_review(postmortem=postmortem, actor=author)
    save_postmortem(
        postmortem=postmortem,
        body=postmortem.body.replace("## Story\n", "## Story\nIt broke.\n"),
        base_version=1,
        actor=author,
    )
    submitted = submit_for_review(postmortem=postmortem, actor=author)

    assert "Story" in error.value.message
    assert submitted.status == Postmortem.Status.IN_REVIEW


def test_a_section_of_comments_or_only_subheadings_counts_as_empty(db):
    from incidents.postmortem_text import missing_sections

    text = (
        "## Summary\n<!-- guidance -->\n\n## Impact\n### Users\n\n"
        "## Resolution\n```\n## not a heading\n```\n## Lessons learned\nMore.\n"
    )

    assert missing_sections(
        text, ["Summary", "Impact", "Resolution", "Lessons learned", "Trigger"]
    ) == ["Summary", "Impact", "Trigger"]
