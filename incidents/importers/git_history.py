"""Backfill a service's delivery history from a git repository.

Each release tag becomes a successful deployment that finished at the tag's date (the
tagger date of an annotated tag, the commit date of a lightweight one) and ships the
commits it added: those reachable from the tag and from no tag before it in time order.
So a commit belongs to the first tag, by date, that contains it, which is exactly what
lead time measures.

Git is called a fixed number of times, whatever the size of the repository: to check
the repository, for all tags (``for-each-ref``, plus one ``cat-file`` if some tag
points at another tag) and for the history behind them (one streamed ``git log``).
Which tag ships which commit is then worked out in memory in one pass over the commit
graph, and rows are written with ``bulk_create`` in batches.
"""

import fnmatch
import io
import logging
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from django.db import transaction

from ..models import Commit, Deployment
from ..services.deployments import get_or_create_service
from ..signals import announce_change

logger = logging.getLogger(__name__)

EXTERNAL_ID_PREFIX = "git-tag:"
COMMIT_BATCH = 5_000
# SQLite before 3.32 takes at most 999 parameters in one statement.
SHA_BATCH = 900
# The tag name is the deployment's version and, prefixed, its external id (200).
MAX_TAG_NAME = 200 - len(EXTERNAL_ID_PREFIX)
# Git refuses these in ref names, so a pattern holding one can never match a tag.
_NEVER_IN_REF_NAMES = set(" ~^:\\") | {chr(c) for c in range(32)} | {"\x7f"}
# Git's output is split on NUL only, which git never puts in a ref name, date, name or
# one-line subject. A subject can hold anything else, and a bare \r, \f, \x1c-\x1e,
# U+0085 or U+2028 would each end a line for str.splitlines().
_FIELD_END = "\0"
_READ_SIZE = 1 << 16

Progress = Callable[[str], None]


class GitImportError(Exception):
    """Why an import cannot run, phrased for the person who started it."""


@dataclass(frozen=True)
class Tag:
    name: str
    sha: str  # the commit the tag points at, after peeling annotated tags
    # None for an annotated tag without a tagger line until in_time_order dates it.
    tagged_at: datetime | None
    tagger: str
    subject: str

    @property
    def external_id(self) -> str:
        return EXTERNAL_ID_PREFIX + self.name


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
    moved: int  # commits taken from deployments imported before: see _take_back


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


def _git(repo: Path, *args: str, stdin: str = "") -> str:
    # Bytes, decoded here: a text-mode pipe would turn a bare \r into a line break.
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), *args],
            input=stdin.encode(),
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        raise GitImportError("git is not installed or not on PATH.") from None
    if done.returncode != 0:
        reason = done.stderr.decode(errors="replace").strip()[:500]
        raise GitImportError(f"git {args[0]} failed: {reason}")
    return done.stdout.decode(errors="replace")


def check_repository(path: str) -> Path:
    repo = Path(path).expanduser()
    if not repo.is_dir():
        raise GitImportError(f"{path} is not a directory.")
    try:
        _git(repo, "rev-parse", "--git-dir")
    except GitImportError as error:
        # Git's reason is the useful part: a repository owned by another user is a
        # repository all the same, and git says which safe.directory setting opens it.
        raise GitImportError(
            f"Cannot read {path} as a git repository; {error}"
        ) from None
    return repo.resolve()


def _instant(raw: str) -> datetime | None:
    # Git's raw dates are "<epoch seconds> <offset>"; the epoch is already UTC. A tag
    # without a tagger line (early git wrote such tags) has no date at all.
    return datetime.fromtimestamp(int(raw.split()[0]), UTC) if raw else None


def read_tags(repo: Path, pattern: str, *, warn: Progress) -> list[Tag]:
    """The matching tags that point, directly or through other tags, at commits."""
    fmt = "".join(
        f"{atom}%00"  # for-each-ref's spelling of _FIELD_END
        for atom in [
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
    # Each tag is its NUL-terminated fields, then the newline for-each-ref adds.
    for record in output.split(_FIELD_END + "\n")[:-1]:
        fields = record.split(_FIELD_END)
        name, kind, sha, peeled_kind, peeled, date, tagger, subject = fields
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
    tags.extend(_peel_nested(repo, nested, warn=warn))
    return tags


def _peel_nested(repo: Path, nested: list[Tag], *, warn: Progress) -> Iterator[Tag]:
    """A tag of a tag is rare; one cat-file peels them all, to a commit or not."""
    if not nested:
        return
    names = "".join(f"refs/tags/{tag.name}^{{}}\n" for tag in nested)
    output = _git(
        repo, "cat-file", "--batch-check=%(objectname) %(objecttype)", stdin=names
    )
    for tag, line in zip(nested, output.split("\n")[:-1], strict=True):
        # "<sha> <type>", or "<what was asked> missing" for an object not there.
        sha, _, kind = line.rpartition(" ")
        if kind == "commit":
            yield replace(tag, sha=sha)
        else:
            what = "missing object" if kind == "missing" else kind
            warn(f"Skipping tag {tag.name}: it points at a {what}.")


def in_time_order(tags: list[Tag], history: History) -> list[Tag]:
    """The tags by date, name breaking ties; a tag without a date of its own takes
    its commit's committer date."""
    dated = [
        tag
        if tag.tagged_at is not None
        else replace(tag, tagged_at=_committed_at(history, history.index[tag.sha]))
        for tag in tags
    ]
    return sorted(dated, key=lambda tag: (tag.tagged_at, tag.name))


def _committed_at(history: History, commit: int) -> datetime:
    return datetime.fromtimestamp(history.committed[commit], UTC)


def read_history(repo: Path, tags: list[Tag], *, progress: Progress) -> History:
    """Every commit reachable from the tags, streamed from one ``git log``."""
    fmt = "%x00".join(["%H", "%P", "%ct", "%at", "%an", "%s"])
    process = subprocess.Popen(
        [
            "git",
            "-C",
            str(repo),
            # A user's signature display would add lines of its own to the output.
            "-c",
            "log.showSignature=false",
            "log",
            # A NUL after each commit, as %x00 after each field but the last: the
            # output is NUL-ended fields, six a commit.
            "-z",
            "--stdin",
            "--encoding=UTF-8",
            f"--format={fmt}",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    # git reads every revision from stdin before it prints anything, so writing all
    # of them first cannot dead-lock on a full pipe.
    process.stdin.write(
        "".join(f"{sha}\n" for sha in dict.fromkeys(t.sha for t in tags)).encode()
    )
    process.stdin.close()
    # newline="" keeps a bare \r in a subject as it is, not as a line break.
    stdout = io.TextIOWrapper(
        process.stdout, encoding="utf-8", errors="replace", newline=""
    )

    history = History()
    authors: dict[str, str] = {}
    # The same iterator six times over, so zip takes one commit's fields a round. A
    # record cut short by git failing is dropped: the exit status below reports it.
    fields = _fields(stdout)
    records = zip(*[fields] * 6, strict=False)
    for sha, parents, committed, authored, author, subject in records:
        history.index[sha] = len(history.shas)
        history.shas.append(sha)
        history.raw_parents.append(tuple(parents.split()))
        history.committed.append(int(committed))
        history.authored.append(int(authored))
        history.authors.append(authors.setdefault(author, author))
        history.subjects.append(subject)
        if len(history.shas) % 50_000 == 0:
            progress(f"Read {len(history.shas):,} commits")

    error = process.stderr.read().decode(errors="replace")
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


def _fields(stream: IO[str]) -> Iterator[str]:
    rest = ""
    while chunk := stream.read(_READ_SIZE):
        *fields, rest = (rest + chunk).split(_FIELD_END)
        yield from fields


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
    tags = in_time_order(tags, history)
    owned = assign_commits(tags, history)
    say(f"{len(history.shas):,} commits behind {len(tags):,} tags")

    with transaction.atomic():
        service = get_or_create_service(service_slug)
        existing = Deployment.objects.filter(
            service=service,
            environment=environment,
            external_id__startswith=EXTERNAL_ID_PREFIX,
        ).values_list("external_id", "pk", "source")
        known = {external_id for external_id, _, _ in existing}
        imported = {
            external_id: pk
            for external_id, pk, source in existing
            if source == Deployment.Source.IMPORT
        }
        moved, reduced = _take_back(
            service, tags, owned, history, known=known, imported=imported
        )
        new = [
            (tag, commits)
            for tag, commits in zip(tags, owned, strict=True)
            if tag.external_id not in known
        ]
        deployments = _create_deployments(service, environment, [t for t, _ in new])
        written = _create_commits(service, deployments, new, history, say)
        changed = [d.pk for d in deployments] + sorted(reduced)
        announce_change(kind="deployment", ids=changed)

    logger.info(
        "Imported %d tags of %s into %s/%s (%d commits, %d moved from later tags, "
        "%d tags already there)",
        len(new),
        repo,
        service_slug,
        environment,
        written,
        moved,
        len(tags) - len(new),
    )
    return ImportResult(
        tags=len(tags),
        created=len(new),
        skipped=len(tags) - len(new),
        commits=written,
        moved=moved,
    )


def _take_back(
    service,
    tags: list[Tag],
    owned: list[list[int]],
    history: History,
    *,
    known: set[str],
    imported: dict[str, int],
) -> tuple[int, set[int]]:
    """Delete, from deployments imported before, the commits that a new tag dated
    before them is now the first to contain; they are written again under the new tag,
    so a re-run ends as a fresh import would. Deployments recorded any other way, and
    imported ones whose tags the pattern leaves out, keep what they have.

    Returns how many commits moved, and the deployments they left."""
    positions = [i for i, tag in enumerate(tags) if tag.external_id in imported]
    if not positions:
        return 0, set()
    later = {imported[tags[i].external_id] for i in positions}
    # A new tag dated after every imported one cannot take commits from them: any
    # commit it contains that they contain, they claimed first.
    shas = [
        history.shas[commit]
        for i in range(positions[-1])
        if tags[i].external_id not in known
        for commit in owned[i]
    ]
    leaving = []
    for start in range(0, len(shas), SHA_BATCH):
        rows = Commit.objects.filter(
            service=service, sha__in=shas[start : start + SHA_BATCH]
        ).values_list("pk", "deployment_id")
        leaving += [(pk, deployment) for pk, deployment in rows if deployment in later]
    for start in range(0, len(leaving), SHA_BATCH):
        batch = leaving[start : start + SHA_BATCH]
        Commit.objects.filter(pk__in=[pk for pk, _ in batch]).delete()
    return len(leaving), {deployment for _, deployment in leaving}


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
                external_id=tag.external_id,
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
                    committed_at=_committed_at(history, commit),
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
