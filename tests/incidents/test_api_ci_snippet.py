"""The shell snippet in the README, run as written against a live server and a real
git repository: the first deployment ships the history, the next one only the
commits since."""

import os
import re
import subprocess
from pathlib import Path

import pytest

from incidents.models import Deployment

from ..factories import make_token

DOC = Path(__file__).resolve().parents[2] / "README.md"
MARKER = "# hindsight: record a deployment"


def snippet() -> str:
    blocks = re.findall(r"```sh\n(.*?)```", DOC.read_text(), flags=re.S)
    return next(block for block in blocks if block.startswith(MARKER))


def git(repo: Path, *args: str, when: str = "2025-05-01T10:00:00+02:00") -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Dana Dev",
        "GIT_AUTHOR_EMAIL": "dana@example.com",
        "GIT_COMMITTER_NAME": "Dana Dev",
        "GIT_COMMITTER_EMAIL": "dana@example.com",
        "GIT_AUTHOR_DATE": when,
        "GIT_COMMITTER_DATE": when,
    }
    done = subprocess.run(
        ["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


def commit(repo: Path, subject: str, when: str) -> str:
    git(repo, "commit", "--allow-empty", "-q", "-m", subject, when=when)
    return git(repo, "rev-parse", "HEAD")


def run_snippet(repo: Path, base_url: str, token: str, run_id: str):
    env = {
        **os.environ,
        "HINDSIGHT_URL": base_url,
        "HINDSIGHT_TOKEN": token,
        "SERVICE": "checkout",
        "ENVIRONMENT": "production",
        "EXTERNAL_ID": run_id,
        "STARTED_AT": "2025-05-02T09:00:00Z",
    }
    return subprocess.run(
        ["sh", "-c", snippet()],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_snippet_records_the_commits_since_the_previous_deployment(
    live_server, tmp_path
):
    token = make_token("shell-ci")
    git(tmp_path, "init", "-q", "-b", "main")
    first = commit(tmp_path, "Add checkout | with a pipe", "2025-05-01T10:00:00+02:00")
    second = commit(tmp_path, 'Fix "quotes" and ünïcode', "2025-05-01T11:00:00Z")

    initial = run_snippet(tmp_path, live_server.url, token, "run-1")
    third = commit(tmp_path, "Tune timeouts", "2025-05-02T08:00:00-05:00")
    following = run_snippet(tmp_path, live_server.url, token, "run-2")

    assert initial.returncode == 0, initial.stderr
    assert following.returncode == 0, following.stderr
    one, two = Deployment.objects.order_by("id")
    assert (one.commit_sha, one.external_id) == (second, "run-1")
    assert {c.sha: c.message for c in one.commits.all()} == {
        first: "Add checkout | with a pipe",
        second: 'Fix "quotes" and ünïcode',
    }
    assert one.commits.get(sha=first).committed_at.isoformat() == (
        "2025-05-01T08:00:00+00:00"
    )
    assert [c.sha for c in two.commits.all()] == [third]
    assert two.commits.get().author == "Dana Dev"
    assert two.started_at.isoformat() == "2025-05-02T09:00:00+00:00"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_running_the_snippet_twice_records_one_deployment(live_server, tmp_path):
    token = make_token("shell-ci")
    git(tmp_path, "init", "-q", "-b", "main")
    commit(tmp_path, "Only change", "2025-05-01T10:00:00Z")

    runs = [run_snippet(tmp_path, live_server.url, token, "run-9") for _ in range(2)]

    assert [r.returncode for r in runs] == [0, 0], runs[1].stderr
    assert Deployment.objects.count() == 1
