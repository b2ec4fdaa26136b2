import pytest
from django.test import override_settings

from incidents.blameless import NAME_SUGGESTION, check_text
from incidents.models import BlamelessPhrase

from ..factories import make_user


def phrases(text: str) -> list[str]:
    return [finding.phrase.lower() for finding in check_text(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("It was human error.", ["human error"]),
        ("We should have seen it.", ["should have"]),
        ("A careless change.", ["careless"]),
        ("The job failed to start.", ["failed to"]),
        ("That was negligent.", ["negligent"]),
        ("Obviously the cache was cold.", ["obviously"]),
        ("We just restarted it.", ["just"]),
        ("Why didn't anyone check?", ["why didn't"]),
        ("Why didn\u2019t anyone check?", ["why didn\u2019t"]),
        ("Nobody adjusted the justification.", []),
        ("The Root Cause was DNS.", ["root cause"]),
    ],
)
def test_blaming_and_hindsight_phrases_are_flagged(db, text, expected):
    assert phrases(text) == expected


def test_each_finding_carries_line_section_excerpt_and_suggestion(db):
    text = "# PM\n\n## What went wrong\n\nThe operator was careless with the flag.\n"

    [finding] = check_text(text)

    assert finding.line == 5
    assert finding.section == "What went wrong"
    assert finding.excerpt == "The operator was careless with the flag."
    assert "judging" in finding.suggestion


def test_code_blocks_and_comments_are_not_checked(db):
    text = "```\njust do it\n```\n<!-- should have -->\nFine text.\n"

    assert check_text(text) == []


def test_a_person_as_subject_of_a_contributing_factor_is_flagged(db):
    make_user("rita", first_name="Margarita")
    text = (
        "## Timeline\nRita paged the team.\n\n"
        "## Contributing factors\n"
        "- Rita deployed on a Friday.\n"
        "- The deploy tool let Margarita skip the canary. Margarita approved it.\n"
        "- Rita's dashboard lacked a panel.\n"
    )

    findings = [(f.phrase, f.line) for f in check_text(text)]

    assert findings == [("Rita", 5), ("Margarita", 6)]
    assert check_text(text)[0].suggestion == NAME_SUGGESTION


def test_the_check_warns_without_blocking_a_save(db):
    from accounts.models import Role
    from incidents.services.postmortems import save_postmortem, start_postmortem

    from ..factories import make_incident

    author = make_user("rita", Role.RESPONDER)
    postmortem = start_postmortem(incident=make_incident(), actor=author, body="a")

    saved = save_postmortem(
        postmortem=postmortem, body="human error", base_version=1, actor=author
    )

    assert saved.body == "human error"


def test_the_setting_replaces_the_built_in_list(db):
    with override_settings(BLAMELESS_PHRASES={"dropped the ball": "Describe it."}):
        assert phrases("He dropped the ball; human error.") == ["dropped the ball"]


def test_a_configured_phrase_matches_whatever_its_capitals(db):
    configured = {"Dropped The Ball": "Describe it.", "Didn\u2019t Check": "Say how."}
    with override_settings(BLAMELESS_PHRASES=configured):
        findings = check_text("He dropped the ball. We didn't check.")

    assert [f.suggestion for f in findings] == ["Describe it.", "Say how."]


def test_admins_add_phrases_and_withdraw_built_in_ones(db):
    BlamelessPhrase.objects.create(phrase="rookie", suggestion="Say what was new.")
    BlamelessPhrase.objects.create(phrase="just", is_active=False)

    findings = check_text("A rookie move, just that.")

    assert [(f.phrase, f.suggestion) for f in findings] == [
        ("rookie", "Say what was new.")
    ]
