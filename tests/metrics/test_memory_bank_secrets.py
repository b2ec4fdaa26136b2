"""No secret, token, webhook URL or e-mail address reaches a memory-bank file, wherever
it was planted in the record."""

import re

import pytest

from accounts.models import ApiToken
from incidents.models import Commit, Deployment, Incident
from metrics.memory_bank.export import render_files
from metrics.memory_bank.render import safe_url, scrub
from tests.factories import at, make_note, make_token

from .golden.history import NOW, SECRETS, build_history

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z0-9.-]+")


@pytest.fixture
def exported(db):
    history = build_history()
    raw_token = make_token("agent")
    checkout = history["services"][0]
    deployment = Deployment.objects.get(pk=104)
    deployment.changelog = f"Rotated {raw_token}; Authorization: Bearer {raw_token}"
    deployment.deployed_by = "ci <builder@acme.test>"
    deployment.version = "v2.2.1 password=hunter2-db-password"
    deployment.save()
    Commit.objects.create(
        deployment=deployment,
        service=checkout,
        sha="f" * 40,
        committed_at=at(2025, 5, 12, 9),
        author="Dave <dave@personal-mail.test>",
        message="Set AWS key AKIAABCDEFGHIJKLMNOP",
    )
    incident = Incident.objects.get(pk=3)
    incident.title = f"Edge slow; see {SECRETS[3]}"
    incident.summary = f"api_key={raw_token}"
    incident.alert_group_key = "{}:{token=s3cr3t-webhook-signing-key}"
    incident.save()
    make_note(incident, body=f"webhook {SECRETS[3]} secret=s3cr3t-webhook-signing-key")
    files = {name: data.decode() for name, data in render_files(now=NOW).items()}
    return files, raw_token


def test_no_planted_secret_appears_in_any_file(exported):
    files, raw_token = exported

    for name, text in files.items():
        for secret in [*SECRETS, raw_token, raw_token[:16]]:
            assert secret not in text, (name, secret)


def test_no_email_address_appears_in_any_file(exported):
    files, _ = exported

    for name, text in files.items():
        assert EMAIL.findall(text) == [], name


def test_no_stored_token_hash_or_prefix_appears(exported):
    files, _ = exported
    token = ApiToken.objects.get(name="agent")

    for text in files.values():
        assert token.key_hash not in text
        assert "agent" not in text


def test_the_scrubbed_places_say_what_was_removed(exported):
    files, _ = exported

    assert "password=[redacted]" in files["CLAUDE-incidents.md"]
    assert "[e-mail removed]" in files["CLAUDE-incidents.md"]
    assert "[webhook URL removed]" in files["CLAUDE-incidents.md"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail ops@acme.test now", "mail [e-mail removed] now"),
        ("token: abc123def456", "token: [redacted]"),
        ("Authorization: Bearer abcdefghijklmnop", "Authorization: [redacted]"),
        ("use ghp_0123456789abcdefABCDEF0123", "use [redacted]"),
        ("xoxb-1234567890-abcdef", "[redacted]"),
        ("see https://hooks.slack.com/services/T/B/X", "see [webhook URL removed]"),
        ("see https://ci.acme.test/hooks/deploy", "see [webhook URL removed]"),
        ("see https://u:p@git.acme.test/r?x=1#f", "see https://git.acme.test/r"),
        ("the token rotation was slow", "the token rotation was slow"),
        ("author: Bob", "author: Bob"),
        ("commit " + "a" * 40, "commit " + "a" * 40),
    ],
)
def test_scrub_removes_secrets_and_keeps_ordinary_prose(text, expected):
    assert scrub(text) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/acme/x", "https://github.com/acme/x"),
        ("https://deploy:tok@github.com/acme/x.git", "https://github.com/acme/x.git"),
        ("https://wiki.acme.test/r?token=abc", "https://wiki.acme.test/r"),
        ("https://hooks.slack.com/services/T/B/X", ""),
        ("https://discord.com/api/webhooks/1/abc", ""),
        ("javascript:alert(1)", ""),
        ("", ""),
    ],
)
def test_safe_url_keeps_only_harmless_urls(url, expected):
    assert safe_url(url) == expected
