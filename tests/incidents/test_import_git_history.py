"""import_git_history against repositories built with git in tmp_path. Every time
in these repositories is set explicitly, so each expected finish time, commit set and
lead time below is worked out by hand from the dates given to git."""

import os
import subprocess
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from incidents.models import Commit, Deployment, Service
from tests.factories import at, make_deployment, make_service

pytestmark = pytest.mark.django_db

JAN_1 = at(2025, 1, 1, 9, 0)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


class GitRepo:
    """A throw-away repository whose commits and tags carry the dates we give."""

    def __init__(self, path: Path):
        self.path = path
        self.env = {
            **os.environ,
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "Ada Lovelace",
            "GIT_AUTHOR_EMAIL": "ada@example.com",
            "GIT_COMMITTER_NAME": "Grace Hopper",
            "GIT_COMMITTER_EMAIL": "grace@example.com",
        }
        self.git("init", "-q", "-b", "main")
        self.shas: dict[str, str] = {}

    def git(self, *args: str, when=None, stdin=None) -> str:
        env = dict(self.env)
        if when is not None:
            stamp = f"@{int(when.timestamp())} +0000"
            env["GIT_COMMITTER_DATE"] = stamp
            env["GIT_AUTHOR_DATE"] = stamp
        done = subprocess.run(
            ["git", *args],
            cwd=self.path,
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()

    def commit(self, name: str, when, *, authored=None, subject=None) -> str:
        (self.path / f"{name}.txt").write_text(name)
        self.git("add", f"{name}.txt")
        env_when = when
        subject = subject or f"{name} subject"
        args = ["commit", "-q", "-m", subject, "-m", "A body line."]
        if authored is not None:
            args += ["--date", f"@{int(authored.timestamp())} +0000"]
        self.git(*args, when=env_when)
        self.shas[name] = self.git("rev-parse", "HEAD")
        return self.shas[name]

    def lightweight_tag(self, name: str, target: str = "HEAD") -> None:
        self.git("tag", name, target)

    def annotated_tag(self, name: str, when, target: str = "HEAD") -> None:
        # The tagger date is taken from GIT_COMMITTER_DATE.
        self.git("tag", "-a", name, "-m", f"Release {name}", target, when=when)

    def merge(self, branch: str, when) -> str:
        self.git("merge", "-q", "--no-ff", "-m", f"Merge {branch}", branch, when=when)
        self.shas[f"merge-{branch}"] = self.git("rev-parse", "HEAD")
        return self.shas[f"merge-{branch}"]


@pytest.fixture
def repo(tmp_path):
    return GitRepo(tmp_path)


def run(repo: GitRepo, *args: str, service: str = "checkout") -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(
        "import_git_history",
        str(repo.path),
        "--service",
        service,
        *args,
        stdout=out,
        stderr=err,
    )
    return out.getvalue(), err.getvalue()


def shipped(version: str) -> set[str]:
    deployment = Deployment.objects.get(version=version)
    return set(deployment.commits.values_list("sha", flat=True))


def lead_times(version: str) -> dict[str, timedelta]:
    deployment = Deployment.objects.get(version=version)
    return {
        c.sha: deployment.finished_at - c.committed_at for c in deployment.commits.all()
    }


def test_annotated_and_lightweight_tags_become_deployments_with_their_commits(repo):
    a = repo.commit("a", JAN_1)
    b = repo.commit("b", JAN_1 + hours(2), authored=JAN_1 + hours(1))
    repo.lightweight_tag("v1.0.0")
    c = repo.commit("c", JAN_1 + hours(5))
    d = repo.commit("d", JAN_1 + hours(6))
    repo.annotated_tag("v1.1.0", JAN_1 + hours(30))

    out, err = run(repo)

    assert "2 deployments imported into checkout/production with 4 commits" in out
    assert "2 tags match" in err
    first, second = Deployment.objects.order_by("finished_at")
    # A lightweight tag takes its commit's committer date.
    assert (first.version, first.finished_at) == ("v1.0.0", JAN_1 + hours(2))
    # An annotated tag takes the tagger date, whatever its commit's date.
    assert (second.version, second.finished_at) == ("v1.1.0", JAN_1 + hours(30))
    for deployment in (first, second):
        assert deployment.status == Deployment.Status.SUCCESS
        assert deployment.source == Deployment.Source.IMPORT
        assert deployment.environment == "production"
        assert deployment.external_id == f"git-tag:{deployment.version}"
    assert (first.commit_sha, second.commit_sha) == (b, d)
    assert second.deployed_by == "Grace Hopper"
    assert second.changelog == "Release v1.1.0"
    assert shipped("v1.0.0") == {a, b}
    assert shipped("v1.1.0") == {c, d}
    assert lead_times("v1.0.0") == {a: hours(2), b: hours(0)}
    assert lead_times("v1.1.0") == {c: hours(25), d: hours(24)}


def test_commit_fields_are_the_real_ones(repo):
    repo.commit("a", JAN_1 + hours(2), authored=JAN_1)
    repo.lightweight_tag("v1")

    run(repo)

    commit = Commit.objects.get()
    assert commit.committed_at == JAN_1 + hours(2)
    assert commit.authored_at == JAN_1
    assert commit.author == "Ada Lovelace"
    assert commit.message == "a subject"
    assert commit.service.slug == "checkout"


def test_a_merged_branch_ships_with_the_first_tag_that_contains_it(repo):
    a = repo.commit("a", JAN_1)
    repo.git("checkout", "-q", "-b", "feature")
    f1 = repo.commit("f1", JAN_1 + hours(1))
    f2 = repo.commit("f2", JAN_1 + hours(2))
    repo.git("checkout", "-q", "main")
    b = repo.commit("b", JAN_1 + hours(3))
    repo.annotated_tag("v1", JAN_1 + hours(4))
    m = repo.merge("feature", JAN_1 + hours(5))
    repo.annotated_tag("v2", JAN_1 + hours(6))

    run(repo)

    assert shipped("v1") == {a, b}
    assert shipped("v2") == {f1, f2, m}
    assert lead_times("v2") == {f1: hours(5), f2: hours(4), m: hours(1)}


def test_a_tag_off_the_main_line_claims_its_branch_commits_first(repo):
    a = repo.commit("a", JAN_1)
    repo.annotated_tag("v1", JAN_1 + hours(1))
    repo.git("checkout", "-q", "-b", "feature")
    f1 = repo.commit("f1", JAN_1 + hours(2))
    repo.annotated_tag("v1-preview", JAN_1 + hours(3))
    repo.git("checkout", "-q", "main")
    b = repo.commit("b", JAN_1 + hours(4))
    m = repo.merge("feature", JAN_1 + hours(5))
    repo.annotated_tag("v2", JAN_1 + hours(6))

    run(repo)

    assert shipped("v1") == {a}
    assert shipped("v1-preview") == {f1}
    # f1 was already shipped by the preview tag, so v2 does not ship it again.
    assert shipped("v2") == {b, m}
    assert Deployment.objects.get(version="v1-preview").commit_sha == f1


def test_a_tag_dated_before_its_parent_tag_takes_the_parents_commits(repo):
    """v2 sits on a child of v1's commit but was tagged (dated) earlier. In time
    order v2 comes first and, containing both commits, ships both; v1 then adds
    nothing new and is recorded as a deployment without commits."""
    a = repo.commit("a", JAN_1)
    repo.annotated_tag("v1", JAN_1 + hours(10), target="HEAD")
    b = repo.commit("b", JAN_1 + hours(1))
    repo.annotated_tag("v2", JAN_1 + hours(5))

    run(repo)

    v1 = Deployment.objects.get(version="v1")
    v2 = Deployment.objects.get(version="v2")
    assert (v1.finished_at, v2.finished_at) == (JAN_1 + hours(10), JAN_1 + hours(5))
    assert shipped("v2") == {a, b}
    assert shipped("v1") == set()
    assert lead_times("v2") == {a: hours(5), b: hours(4)}


def test_a_tag_dated_before_its_commit_keeps_the_negative_lead_time(repo):
    a = repo.commit("a", JAN_1 + hours(3))
    repo.annotated_tag("v1", JAN_1)

    run(repo)

    assert lead_times("v1") == {a: hours(-3)}


def test_tags_on_the_same_commit_are_ordered_by_date_then_name(repo):
    a = repo.commit("a", JAN_1)
    repo.annotated_tag("release-b", JAN_1 + hours(1))
    repo.annotated_tag("release-a", JAN_1 + hours(1))

    run(repo)

    assert shipped("release-a") == {a}
    assert shipped("release-b") == set()


def test_running_it_again_adds_nothing(repo):
    repo.commit("a", JAN_1)
    repo.annotated_tag("v1", JAN_1 + hours(1))
    repo.commit("b", JAN_1 + hours(2))
    repo.lightweight_tag("v2")
    run(repo)

    out, _ = run(repo)

    assert "0 deployments imported" in out
    assert "2 tags were already there" in out
    assert Deployment.objects.count() == 2
    assert Commit.objects.count() == 2


def test_running_it_again_imports_only_the_new_tags(repo):
    repo.commit("a", JAN_1)
    repo.annotated_tag("v1", JAN_1 + hours(1))
    run(repo)
    c = repo.commit("c", JAN_1 + hours(2))
    repo.annotated_tag("v2", JAN_1 + hours(3))

    out, _ = run(repo)

    assert "1 deployments imported" in out
    assert Deployment.objects.count() == 2
    assert shipped("v2") == {c}


def test_the_same_tags_may_be_imported_into_another_environment(repo):
    repo.commit("a", JAN_1)
    repo.annotated_tag("v1", JAN_1 + hours(1))
    run(repo)

    run(repo, "--environment", "staging")

    assert sorted(Deployment.objects.values_list("environment", flat=True)) == [
        "production",
        "staging",
    ]


def test_only_tags_matching_the_pattern_count_and_their_commits_move_on(repo):
    a = repo.commit("a", JAN_1)
    repo.annotated_tag("nightly-1", JAN_1 + hours(1))
    b = repo.commit("b", JAN_1 + hours(2))
    repo.annotated_tag("v1.0", JAN_1 + hours(3))

    run(repo, "--tags", "v[0-9]*")

    assert list(Deployment.objects.values_list("version", flat=True)) == ["v1.0"]
    assert shipped("v1.0") == {a, b}


def test_an_existing_service_is_used_and_a_new_one_created(repo):
    existing = make_service("checkout", name="Checkout Web")
    repo.commit("a", JAN_1)
    repo.lightweight_tag("v1")

    run(repo)
    run(repo, service="payments")

    assert Deployment.objects.get(service=existing).version == "v1"
    assert Service.objects.get(slug="payments").deployments.count() == 1


def test_a_path_that_is_not_a_repository_is_refused(tmp_path):
    with pytest.raises(CommandError, match="Cannot read .* as a git repository"):
        call_command("import_git_history", str(tmp_path), "--service", "checkout")
    assert not Deployment.objects.exists()


def test_a_missing_path_is_refused(tmp_path):
    with pytest.raises(CommandError, match="is not a directory"):
        call_command(
            "import_git_history", str(tmp_path / "nope"), "--service", "checkout"
        )


def test_no_matching_tag_is_refused(repo):
    repo.commit("a", JAN_1)
    repo.lightweight_tag("v1")

    with pytest.raises(CommandError, match="No tag .* matches 'release-\\*'"):
        run(repo, "--tags", "release-*")
    assert not Deployment.objects.exists()


def test_a_repository_without_tags_is_refused(repo):
    repo.commit("a", JAN_1)

    with pytest.raises(CommandError, match="No tag"):
        run(repo)


@pytest.mark.parametrize("pattern", ["", "v[0-9", "v 1", "v1:2"])
def test_a_bad_pattern_is_refused(repo, pattern):
    repo.commit("a", JAN_1)
    repo.lightweight_tag("v1")

    with pytest.raises(CommandError, match="pattern"):
        run(repo, "--tags", pattern)
    assert not Deployment.objects.exists()


def test_a_bad_service_slug_is_refused(repo):
    with pytest.raises(CommandError, match="not a slug"):
        run(repo, service="no spaces please")


def test_a_tag_name_too_long_to_store_is_skipped_with_a_message(repo):
    a = repo.commit("a", JAN_1)
    repo.lightweight_tag("v" * 200)
    repo.annotated_tag("v1", JAN_1 + hours(1))

    _, err = run(repo)

    assert "Skipping tag vvvv" in err
    assert list(Deployment.objects.values_list("version", flat=True)) == ["v1"]
    assert shipped("v1") == {a}


def test_a_tag_of_a_tag_is_followed_to_its_commit(repo):
    a = repo.commit("a", JAN_1)
    repo.annotated_tag("v1", JAN_1 + hours(1))
    repo.git(
        "tag", "-a", "v1-signed-off", "-m", "Approved", "v1", when=JAN_1 + hours(2)
    )

    run(repo)

    nested = Deployment.objects.get(version="v1-signed-off")
    assert nested.commit_sha == a
    assert nested.finished_at == JAN_1 + hours(2)
    assert shipped("v1") == {a}
    assert shipped("v1-signed-off") == set()


def test_a_tag_of_a_tree_is_skipped_with_a_message(repo):
    a = repo.commit("a", JAN_1)
    repo.annotated_tag("v1", JAN_1 + hours(1))
    repo.git("tag", "tree-snapshot", "HEAD^{tree}")

    _, err = run(repo)

    assert "Skipping tag tree-snapshot: it points at a tree" in err
    assert shipped("v1") == {a}


def test_a_tag_of_a_tag_of_a_tree_is_skipped_with_a_message(repo):
    a = repo.commit("a", JAN_1)
    repo.annotated_tag("v1", JAN_1 + hours(1))
    repo.annotated_tag("tree-snapshot", JAN_1 + hours(2), target="HEAD^{tree}")
    repo.annotated_tag("tree-snapshot-approved", JAN_1 + hours(3), "tree-snapshot")

    _, err = run(repo)

    assert "Skipping tag tree-snapshot-approved: it points at a tree" in err
    assert list(Deployment.objects.values_list("version", flat=True)) == ["v1"]
    assert shipped("v1") == {a}


def test_an_annotated_tag_without_a_tagger_takes_its_commits_date(repo):
    """Early git wrote tags with no tagger line (git.git's v0.99 is one), so the tag
    itself carries no date."""
    a = repo.commit("a", JAN_1 + hours(2))
    tag = f"object {a}\ntype commit\ntag v0.99\n\nOld\n"
    tag_sha = repo.git(
        "hash-object", "-t", "tag", "-w", "--literally", "--stdin", stdin=tag
    )
    repo.git("update-ref", "refs/tags/v0.99", tag_sha)

    run(repo)

    deployment = Deployment.objects.get()
    assert deployment.finished_at == JAN_1 + hours(2)
    assert (deployment.deployed_by, deployment.changelog) == ("", "Old")
    assert shipped("v0.99") == {a}


# Each of these is a line break to str.splitlines() but not to git.
LINE_BREAKS = ["\u2028", "\u2029", "\x85", "\f", "\v", "\x1c", "\x1d", "\x1e", "\r"]


@pytest.mark.parametrize("char", LINE_BREAKS, ids=ascii)
def test_a_tagged_commits_subject_holding_a_line_break_character_is_kept_whole(
    repo, char
):
    repo.commit("a", JAN_1, subject=f"Copy{char}pasted")
    repo.lightweight_tag("v1")

    run(repo)

    assert Commit.objects.get().message == f"Copy{char}pasted"


@pytest.mark.parametrize("char", LINE_BREAKS, ids=ascii)
def test_an_untagged_commits_subject_holding_a_line_break_character_is_kept_whole(
    repo, char
):
    a = repo.commit("a", JAN_1, subject=f"Progress 10%{char}20% done")
    repo.commit("b", JAN_1 + hours(1))
    repo.annotated_tag("v1", JAN_1 + hours(2))

    run(repo)

    assert Commit.objects.get(sha=a).message == f"Progress 10%{char}20% done"


@pytest.mark.parametrize("char", LINE_BREAKS, ids=ascii)
def test_a_tag_message_holding_a_line_break_character_is_kept_whole(repo, char):
    repo.commit("a", JAN_1)
    repo.git(
        "tag", "-a", "--cleanup=verbatim", "-m", f"Release{char}one", "v1", when=JAN_1
    )

    run(repo)

    assert Deployment.objects.get().changelog == f"Release{char}one"


def test_a_new_tag_dated_before_an_imported_one_takes_its_commits_from_it(repo):
    a = repo.commit("a", JAN_1)
    repo.lightweight_tag("v1")
    b = repo.commit("b", JAN_1 + hours(1))
    c = repo.commit("c", JAN_1 + hours(2))
    repo.lightweight_tag("v3")
    run(repo)
    repo.lightweight_tag("v2", b)

    out, _ = run(repo)

    assert "1 deployments imported" in out
    assert "1 commits moved from later tags" in out
    assert (shipped("v1"), shipped("v2"), shipped("v3")) == ({a}, {b}, {c})
    assert Commit.objects.count() == 3


def test_running_it_again_after_commits_moved_changes_nothing(repo):
    repo.commit("a", JAN_1)
    repo.lightweight_tag("v1")
    b = repo.commit("b", JAN_1 + hours(1))
    repo.commit("c", JAN_1 + hours(2))
    repo.lightweight_tag("v3")
    run(repo)
    repo.lightweight_tag("v2", b)
    run(repo)
    before = set(Commit.objects.values_list("pk", "deployment_id", "sha"))

    out, _ = run(repo)

    assert "0 deployments imported" in out
    assert "moved" not in out
    assert set(Commit.objects.values_list("pk", "deployment_id", "sha")) == before


def test_a_deployment_recorded_another_way_keeps_a_commit_a_new_tag_claims(repo):
    repo.commit("a", JAN_1)
    repo.lightweight_tag("v1")
    b = repo.commit("b", JAN_1 + hours(1))
    repo.commit("c", JAN_1 + hours(2))
    repo.lightweight_tag("v3")
    run(repo)
    by_api = make_deployment(
        Service.objects.get(slug="checkout"),
        finished_at=JAN_1 + hours(3),
        commits=[(b, JAN_1 + hours(1))],
    )
    repo.lightweight_tag("v2", b)

    run(repo)

    assert set(by_api.commits.values_list("sha", flat=True)) == {b}
    assert shipped("v2") == {b}


def test_an_imported_deployment_the_pattern_leaves_out_keeps_its_commits(repo):
    a = repo.commit("a", JAN_1)
    repo.annotated_tag("nightly-1", JAN_1 + hours(3))
    run(repo, "--tags", "nightly-*")
    repo.annotated_tag("v1", JAN_1 + hours(1))

    run(repo, "--tags", "v*")

    assert (shipped("v1"), shipped("nightly-1")) == ({a}, {a})


def test_a_repository_git_refuses_to_read_is_refused_with_gits_reason(
    repo, monkeypatch
):
    repo.commit("a", JAN_1)
    repo.lightweight_tag("v1")
    # git's own test switch: it then treats the repository as another user's.
    monkeypatch.setenv("GIT_TEST_ASSUME_DIFFERENT_OWNER", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")

    with pytest.raises(CommandError, match="dubious ownership(.|\n)*safe.directory"):
        run(repo)
    assert not Deployment.objects.exists()
