"""Backfill a service's delivery history from a git repository.

Each release tag becomes a successful deployment that finished at the tag's date (the
tagger date of an annotated tag, the commit date of a lightweight one) and ships the
commits it added: those reachable from the tag and from no tag before it in time order.
So a commit belongs to the first tag, by date, that contains it, which is exactly what
lead time measures.

Git is called a fixed number of times, whatever the size of the repository: to check
the repository, for all tags (``for-each-ref``, plus one ``rev-parse`` if some tag
points at another tag) and for the history behind them (one streamed ``git log``).
Which tag ships which commit is then worked out in memory in one pass over the commit
graph, and rows are written with ``bulk_create`` in batches.
"""

import fnmatch
import logging
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.db import transaction

from ..models import Commit, Deployment
from ..services.deployments import get_or_create_service
from ..signals import announce_change

logger = logging.getLogger(__name__)

EXTERNAL_ID_PREFIX = "git-tag:"
COMMIT_BATCH = 5_000
# The tag name is the deployment's version and, prefixed, its external id (200).
MAX_TAG_NAME = 200 - len(EXTERNAL_ID_PREFIX)
# Git refuses these in ref names, so a pattern holding one can never match a tag.
_NEVER_IN_REF_NAMES = set(" ~^:\\") | {chr(c) for c in range(32)} | {"\x7f"}
# Fields are split on the ASCII unit separator, which git never puts in a name, date
# or one-line subject.
_SEP = "\x1f"

Progress = Callable[[str], None]


class GitImportError(Exception):
    """Why an import cannot run, phrased for the person who started it."""


@dataclass(frozen=True)
class Tag:
    name: str
    sha: str  # the commit the tag points at, after peeling annotated tags
    tagged_at: datetime
    tagger: str
    subject: str


@dataclass
class History:
    """The commits behind the tags: parents as indexes, and the fields we keep."""

    index: dict[str, int] = field(default_factory=dict)
    shas: list[str] = field(default_factory=list)
    parents: list[tuple[int, ...]] = field(default_factory=list)
    raw_parents: list[tuple[str, ...]] = field(default_factory=list)
    committed: list[int] = field(default_factory=list)
    authored: list[int] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ImportResult:
    tags: int
    created: int
    skipped: int
    commits: int


def check_pattern(pattern: str) -> str:
    """A shell-style glob on tag names, as for ``git tag --list``."""
    if not pattern or not pattern.strip():
        raise GitImportError("The --tags pattern is empty.")
    bad = sorted(set(pattern) & _NEVER_IN_REF_NAMES)
    if bad:
        raise GitImportError(
            f"The --tags pattern {pattern!r} holds {bad[0]!r}, which no tag name can "
            "contain; use a glob such as 'v*' or 'release-[0-9]*'."
        )
    if pattern.count("[") != pattern.count("]"):
        raise GitImportError(
            f"The --tags pattern {pattern!r} has an unclosed '['; use a glob such as "
            "'v[0-9]*'."
        )
    return pattern


def _git(repo: Path, *args: str, stdin: str | None = None) -> str:
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), *args],
            input=stdin,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            check=False,
        )
    except FileNotFoundError:
        raise GitImportError("git is not installed or not on PATH.") from None
    if done.returncode != 0:
        raise GitImportError(f"git {args[0]} failed: {done.stderr.strip()[:500]}")
    return done.stdout


def check_repository(path: str) -> Path:
    repo = Path(path).expanduser()
    if not repo.is_dir():
        raise GitImportError(f"{path} is not a directory.")
    try:
        _git(repo, "rev-parse", "--git-dir")
    except GitImportError:
        raise GitImportError(f"{path} is not a git repository.") from None
    return repo.resolve()


def _instant(raw: str) -> datetime:
    # Git's raw dates are "<epoch seconds> <offset>"; the epoch is already UTC.
    return datetime.fromtimestamp(int(raw.split()[0]), UTC)


def read_tags(repo: Path, pattern: str, *, warn: Progress) -> list[Tag]:
    """The matching tags that point at commits, in time order (name breaks ties)."""
    fmt = _SEP.join(
        [
            "%(refname:strip=2)",
            "%(objecttype)",
            "%(objectname)",
            "%(*objecttype)",
            "%(*objectname)",
            "%(creatordate:raw)",
            "%(taggername)",
            "%(contents:subject)",
        ]
    )
    output = _git(repo, "for-each-ref", f"--format={fmt}", "refs/tags")
    tags = []
    nested = []
    for line in output.splitlines():
        name, kind, sha, peeled_kind, peeled, date, tagger, subject = line.split(
            _SEP, 7
        )
        if not fnmatch.fnmatchcase(name, pattern):
            continue
        if len(name) > MAX_TAG_NAME:
            warn(f"Skipping tag {name[:40]}…: names over {MAX_TAG_NAME} characters.")
            continue
        if kind == "commit":
            tags.append(Tag(name, sha, _instant(date), "", ""))
        elif kind == "tag" and peeled_kind == "commit":
            tags.append(Tag(name, peeled, _instant(date), tagger, subject))
        elif kind == "tag" and peeled_kind == "tag":
            nested.append(Tag(name, "", _instant(date), tagger, subject))
        else:
            warn(f"Skipping tag {name}: it points at a {peeled_kind or kind}.")
    tags.extend(_peel_nested(repo, nested))
    tags.sort(key=lambda tag: (tag.tagged_at, tag.name))
    return tags


def _peel_nested(repo: Path, nested: list[Tag]) -> Iterator[Tag]:
    """A tag of a tag is rare; one rev-parse peels them all to their commits."""
    if not nested:
        return
    names = [f"refs/tags/{tag.name}^{{commit}}" for tag in nested]
    shas = _git(repo, "rev-parse", *names).split()
    for tag, sha in zip(nested, shas, strict=True):
        yield Tag(tag.name, sha, tag.tagged_at, tag.tagger, tag.subject)


def read_history(repo: Path, tags: list[Tag], *, progress: Progress) -> History:
    """Every commit reachable from the tags, streamed from one ``git log``."""
    fmt = _SEP.join(["%H", "%P", "%ct", "%at", "%an", "%s"])
    process = subprocess.Popen(
        [
            "git",
            "-C",
            str(repo),
            # A user's signature display would add lines of its own to the output.
            "-c",
            "log.showSignature=false",
            "log",
            "--stdin",
            "--encoding=UTF-8",
            f"--format={fmt}",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    # git reads every revision from stdin before it prints anything, so writing all
    # of them first cannot dead-lock on a full pipe.
    process.stdin.write(
        "".join(f"{sha}\n" for sha in dict.fromkeys(t.sha for t in tags))
    )
    process.stdin.close()

    history = History()
    authors: dict[str, str] = {}
    for line in process.stdout:
        sha, parents, committed, authored, author, subject = line.rstrip("\n").split(
            _SEP, 5
        )
        history.index[sha] = len(history.shas)
        history.shas.append(sha)
        history.raw_parents.append(tuple(parents.split()))
        history.committed.append(int(committed))
        history.authored.append(int(authored))
        history.authors.append(authors.setdefault(author, author))
        history.subjects.append(subject)
        if len(history.shas) % 50_000 == 0:
            progress(f"Read {len(history.shas):,} commits")

    error = process.stderr.read()
    if process.wait() != 0:
        raise GitImportError(f"git log failed: {error.strip()[:500]}")
    # Parents outside the history (a shallow clone's boundary) are simply dropped.
    index = history.index
    history.parents = [
        tuple(index[p] for p in parents if p in index)
        for parents in history.raw_parents
    ]
    history.raw_parents = []
    return history


def assign_commits(tags: list[Tag], history: History) -> list[list[int]]:
    """For each tag, in order, the commits it is the first to contain.

    What the earlier tags claimed is closed under "parent of", so the walk from a
    tag can stop at the first claimed commit: everything behind it is claimed too.
    That makes the whole assignment one pass over the graph."""
    claimed = bytearray(len(history.shas))
    owned = []
    for tag in tags:
        start = history.index[tag.sha]
        mine = []
        stack = [start] if not claimed[start] else []
        if stack:
            claimed[start] = 1
        while stack:
            commit = stack.pop()
            mine.append(commit)
            for parent in history.parents[commit]:
                if not claimed[parent]:
                    claimed[parent] = 1
                    stack.append(parent)
        owned.append(mine)
    return owned


def import_git_history(
    *,
    path: str,
    service_slug: str,
    environment: str = "production",
    pattern: str = "*",
    progress: Progress | None = None,
) -> ImportResult:
    """Record one deployment per matching tag not imported before, with its commits.
    One transaction: an import that fails half-way stores nothing."""
    say = progress or (lambda message: None)
    repo = check_repository(path)
    check_pattern(pattern)

    tags = read_tags(repo, pattern, warn=say)
    if not tags:
        raise GitImportError(f"No tag in {path} matches {pattern!r}.")
    say(f"{len(tags):,} tags match {pattern!r}; reading their history")
    history = read_history(repo, tags, progress=say)
    owned = assign_commits(tags, history)
    say(f"{len(history.shas):,} commits behind {len(tags):,} tags")

    with transaction.atomic():
        service = get_or_create_service(service_slug)
        known = set(
            Deployment.objects.filter(
                service=service,
                environment=environment,
                external_id__startswith=EXTERNAL_ID_PREFIX,
            ).values_list("external_id", flat=True)
        )
        new = [
            (tag, commits)
            for tag, commits in zip(tags, owned, strict=True)
            if EXTERNAL_ID_PREFIX + tag.name not in known
        ]
        deployments = _create_deployments(service, environment, [t for t, _ in new])
        written = _create_commits(service, deployments, new, history, say)
        announce_change(kind="deployment", ids=[d.pk for d in deployments])

    logger.info(
        "Imported %d tags of %s into %s/%s (%d commits, %d already there)",
        len(new),
        repo,
        service_slug,
        environment,
        written,
        len(tags) - len(new),
    )
    return ImportResult(
        tags=len(tags),
        created=len(new),
        skipped=len(tags) - len(new),
        commits=written,
    )


def _create_deployments(service, environment: str, tags: list[Tag]):
    return Deployment.objects.bulk_create(
        [
            Deployment(
                service=service,
                environment=environment,
                version=tag.name,
                commit_sha=tag.sha,
                status=Deployment.Status.SUCCESS,
                finished_at=tag.tagged_at,
                source=Deployment.Source.IMPORT,
                external_id=EXTERNAL_ID_PREFIX + tag.name,
                deployed_by=tag.tagger[:200],
                changelog=tag.subject,
            )
            for tag in tags
        ],
        batch_size=1_000,
    )


def _create_commits(service, deployments, new, history: History, say) -> int:
    batch = []
    written = 0
    for deployment, (_, commits) in zip(deployments, new, strict=True):
        for commit in commits:
            batch.append(
                Commit(
                    deployment_id=deployment.pk,
                    service_id=service.pk,
                    sha=history.shas[commit],
                    committed_at=datetime.fromtimestamp(history.committed[commit], UTC),
                    authored_at=datetime.fromtimestamp(history.authored[commit], UTC),
                    author=history.authors[commit][:200],
                    message=history.subjects[commit],
                )
            )
        if len(batch) >= COMMIT_BATCH:
            Commit.objects.bulk_create(batch)
            written += len(batch)
            batch = []
            say(f"Wrote {written:,} commits")
    Commit.objects.bulk_create(batch)
    return written + len(batch)
