"""The demo's delivery history: releases that go to staging and then production, with
their commits, failures, rollbacks, hotfixes and the incidents some of them cause.

Generation streams: releases are made in time order and written in batches, so memory
stays flat whether the history holds two thousand deployments or a million. Only a
little state per service is kept (its version, its last good release, the commits
still waiting to reach production)."""

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..models import Deployment
from . import texts
from .stories import Cause, IncidentStories, ServiceRef
from .writer import BatchWriter

logger = logging.getLogger(__name__)

Status = Deployment.Status

HISTORY_DAYS = 180
# The last planned release is this long before now, so that its production deployment
# (at most ~3 hours after staging) has finished by now.
QUIET_BEFORE_NOW = timedelta(hours=3)

STAGING_FAILURE = 0.04
PRODUCTION_FAILURE = 0.03
ROLLED_BACK = 0.04  # the release causes an incident and is rolled back
CAUSES_INCIDENT = 0.12  # the release causes an incident and stays
HOTFIX_AFTER_INCIDENT = 0.3
LINKED_CAUSE = 0.5  # of incidents caused by a release, the share linked by a person
# Incidents with no deployment behind them, per release; with the shares above this
# gives about one incident per ten deployments.
UNRELATED_INCIDENT = 0.06

_SOURCES = (
    ("github", "github-actions"),
    ("gitlab", "gitlab-ci"),
    ("api", "argo-cd"),
    ("manual", None),  # a person, picked from the engineers
)
_SOURCE_WEIGHTS = (50, 15, 25, 10)


@dataclass
class _ServiceState:
    ref: ServiceRef
    releases: int = 0
    patch: int = 0
    good: tuple[str, str] | None = None  # version and SHA last good in production
    pending: list[tuple] = field(default_factory=list)

    def next_version(self, *, hotfix: bool = False) -> str:
        if hotfix:
            self.patch += 1
        else:
            self.releases += 1
            self.patch = 0
        major, minor = 1 + self.releases // 100, self.releases % 100
        return f"v{major}.{minor}.{self.patch}"


class DemoHistory:
    def __init__(
        self,
        *,
        writer: BatchWriter,
        services: list[tuple[ServiceRef, int]],
        people: dict[str, int],
        now: datetime,
        deployments: int,
        seed: int,
        batch_size: int = 20_000,
        progress: Callable[[int, int, int], None] | None = None,
    ):
        self.rng = random.Random(seed)
        self.writer = writer
        self.now = now
        self.target = deployments
        self.batch_size = batch_size
        self.progress = progress or (lambda done, total, incidents: None)
        self.states = [_ServiceState(ref) for ref, _ in services]
        self.weights = [weight for _, weight in services]
        self.count = 0
        self.stories = IncidentStories(
            rng=self.rng, writer=writer, now=now, people=people
        )
        self.start = now - timedelta(days=HISTORY_DAYS)
        self.span = (now - QUIET_BEFORE_NOW - self.start).total_seconds()

    def run(self) -> None:
        step = self.span / max(self.target, 1)
        while self.count < self.target:
            # Each deployment has its slot on an even grid; a release starts at the
            # slot of the next deployment to be made.
            at = self.start + timedelta(seconds=self.count * step)
            at += timedelta(seconds=self.rng.uniform(0, step))
            self._release(at, budget=self.target - self.count)
            if self.rng.random() < UNRELATED_INCIDENT:
                self._unrelated_incident(at)
            if self.writer.pending("deployment") >= self.batch_size:
                self._flush()
        self._flush()

    def _flush(self) -> None:
        self.writer.flush()
        self.progress(self.count, self.target, self.stories.count)

    def _release(self, at: datetime, *, budget: int) -> None:
        rng = self.rng
        state = rng.choices(self.states, self.weights)[0]
        version = state.next_version()
        staged = self._deploy_duration(at)
        commits = state.pending + self._new_commits(rng.randint(1, 9), before=staged)
        sha = commits[-1][0]

        failed = rng.random() < STAGING_FAILURE
        self._deploy(
            state,
            environment="staging",
            status=Status.FAILURE if failed else Status.SUCCESS,
            finished=at,
            version=version,
            sha=sha,
            commits=commits,
        )
        if failed or budget < 2:
            state.pending = commits if failed else []
            return

        finished = at + timedelta(minutes=rng.randint(20, 170))
        roll = rng.random()
        if roll < PRODUCTION_FAILURE:
            self._deploy(
                state,
                environment="production",
                status=Status.FAILURE,
                finished=finished,
                version=version,
                sha=sha,
                commits=commits,
            )
            state.pending = commits
            return

        state.pending = []
        roll -= PRODUCTION_FAILURE
        if roll < ROLLED_BACK and state.good is not None and budget >= 3:
            self._bad_release(state, finished, version, sha, commits, budget)
        elif roll < ROLLED_BACK + CAUSES_INCIDENT:
            self._release_with_incident(state, finished, version, sha, commits, budget)
        else:
            self._deploy_production(state, finished, version, sha, commits)

    def _deploy_production(self, state, finished, version, sha, commits) -> int:
        deployment_id = self._deploy(
            state,
            environment="production",
            status=Status.SUCCESS,
            finished=finished,
            version=version,
            sha=sha,
            commits=commits,
        )
        state.good = (version, sha)
        return deployment_id

    def _bad_release(self, state, finished, version, sha, commits, budget) -> None:
        """Production breaks, an incident opens, the release is rolled back to the
        last good one, and a hotfix ships the changes again with a fix."""
        rng = self.rng
        started = finished + timedelta(minutes=rng.randint(3, 60))
        rollback_at = started + timedelta(minutes=rng.randint(15, 60))
        if rollback_at > self.now:
            self._release_with_incident(state, finished, version, sha, commits, budget)
            return

        good_version, good_sha = state.good
        deployment_id = self._deploy(
            state,
            environment="production",
            status=Status.ROLLED_BACK,
            finished=finished,
            updated=rollback_at,
            version=version,
            sha=sha,
            commits=commits,
        )
        self._deploy(
            state,
            environment="production",
            status=Status.SUCCESS,
            finished=rollback_at,
            version=good_version,
            sha=good_sha,
            commits=[],
            rollback_of=deployment_id,
            changelog=f"Roll back {version} to {good_version}",
        )
        self._incident(
            state,
            kind="rollback",
            started=started,
            deployment_id=deployment_id,
            version=version,
            mitigated=rollback_at + timedelta(minutes=rng.randint(2, 20)),
        )

        hotfix_at = rollback_at + timedelta(minutes=rng.randint(60, 360))
        if budget >= 4 and hotfix_at <= self.now:
            self._hotfix(state, hotfix_at, commits, f"Fix for {version}")

    def _release_with_incident(
        self, state, finished, version, sha, commits, budget
    ) -> None:
        rng = self.rng
        deployment_id = self._deploy_production(state, finished, version, sha, commits)
        started = finished + timedelta(minutes=rng.randint(5, 360))
        if started > self.now:
            return

        self._incident(
            state,
            kind="deployment",
            started=started,
            deployment_id=deployment_id,
            version=version,
        )
        hotfix_at = started + timedelta(minutes=rng.randint(60, 480))
        wanted = rng.random() < HOTFIX_AFTER_INCIDENT
        if wanted and budget >= 3 and hotfix_at <= self.now:
            self._hotfix(state, hotfix_at, [], f"Hotfix after {version}")

    def _hotfix(self, state, at, carried, changelog) -> None:
        commits = carried + self._new_commits(self.rng.randint(1, 2), before=at)
        version = state.next_version(hotfix=True)
        sha = commits[-1][0]
        self._deploy(
            state,
            environment="production",
            status=Status.SUCCESS,
            finished=at,
            version=version,
            sha=sha,
            commits=commits,
            is_hotfix=True,
            changelog=changelog,
        )
        state.good = (version, sha)

    def _incident(
        self, state, *, kind, started, deployment_id, version, mitigated=None
    ):
        label = f"{state.ref.slug} {version} to production"
        linked = self.rng.random() < LINKED_CAUSE
        self.stories.incident(
            kind=kind,
            services=[state.ref],
            started=started,
            cause=Cause(deployment_id=deployment_id, label=label, linked=linked),
            mitigated_hint=mitigated,
        )

    def _unrelated_incident(self, at: datetime) -> None:
        rng = self.rng
        count = 1 if rng.random() < 0.8 else 2
        picked = rng.choices(self.states, self.weights, k=count)
        services = list({state.ref.id: state.ref for state in picked}.values())
        self.stories.incident(kind="other", services=services, started=at)

    def _deploy_duration(self, finished: datetime) -> datetime:
        return finished - timedelta(seconds=self.rng.randint(90, 900))

    def _new_commits(self, count: int, *, before: datetime) -> list[tuple]:
        """(sha, committed_at, authored_at, author, message), oldest first. Waits
        before deployment are skewed: most commits ship within hours, a few wait
        for days."""
        rng = self.rng
        commits = []
        for _ in range(count):
            wait = min(600 + rng.expovariate(1 / 28_800), 14 * 86_400)
            committed = before - timedelta(seconds=int(wait))
            authored = committed - timedelta(seconds=int(rng.expovariate(1 / 7_200)))
            commits.append(
                (
                    f"{rng.getrandbits(160):040x}",
                    committed,
                    authored,
                    rng.choice(texts.ENGINEERS),
                    rng.choice(texts.COMMIT_MESSAGES),
                )
            )
        commits.sort(key=lambda commit: commit[1])
        return commits

    def _deploy(
        self,
        state: _ServiceState,
        *,
        environment: str,
        status: str,
        finished: datetime,
        version: str,
        sha: str,
        commits: list[tuple],
        updated: datetime | None = None,
        rollback_of: int | None = None,
        is_hotfix: bool = False,
        changelog: str = "",
    ) -> int:
        rng = self.rng
        deployment_id = self.writer.next_id(Deployment)
        source, deployed_by = rng.choices(_SOURCES, _SOURCE_WEIGHTS)[0]
        deployed_by = deployed_by or rng.choice(texts.ENGINEERS)
        self.writer.add(
            "deployment",
            (
                deployment_id,
                state.ref.id,
                environment,
                version,
                sha,
                status,
                self._deploy_duration(finished),
                finished,
                rollback_of,
                is_hotfix,
                source,
                None,
                deployed_by,
                changelog,
                "",
                finished,
                updated or finished,
            ),
        )
        service_id = state.ref.id
        add = self.writer.add
        for sha_, committed, authored, author, message in commits:
            add(
                "commit",
                (deployment_id, service_id, sha_, committed, authored, author, message),
            )
        self.count += 1
        return deployment_id
