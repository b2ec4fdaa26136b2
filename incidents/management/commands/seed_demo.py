import time
from datetime import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from django.utils import timezone

from incidents.demo import DEMO_PASSWORD, DEMO_PEOPLE, seed_demo
from incidents.timeparse import parse_instant

_LABELS = {
    "deployment": "deployments",
    "commit": "commits",
    "incident": "incidents",
    "timeline": "timeline entries",
    "postmortem": "postmortems",
    "action_item": "action items",
}


def _positive(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


class Command(BaseCommand):
    help = (
        "Fill the database with a deterministic, realistic demo history (teams, "
        "services, deployments with commits, incidents, postmortems, SLOs) and the "
        "demo people alice, bob and carol."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--deployments",
            type=_positive,
            default=2_000,
            help="How many deployments to create (default 2000; scales to millions)",
        )
        parser.add_argument("--seed", type=int, default=1, help="Random seed")
        parser.add_argument(
            "--now",
            help="Where the history ends, RFC 3339 (default: the current hour). "
            "The same --seed and --now give the same data.",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Only ensure the demo people when deployments already exist",
        )
        parser.add_argument("--batch-size", type=_positive, default=20_000)

    def handle(self, *args, **options):
        now = self._now(options["now"])
        started = time.monotonic()

        def progress(done: int, total: int, incidents: int) -> None:
            elapsed = time.monotonic() - started
            self.stderr.write(
                f"{done:,}/{total:,} deployments ({done * 100 // max(total, 1)}%),"
                f" {incidents:,} incidents, {elapsed:.0f}s"
            )

        verbose = options["verbosity"] > 0
        result = seed_demo(
            deployments=options["deployments"],
            seed=options["seed"],
            now=now,
            if_empty=options["if_empty"],
            batch_size=options["batch_size"] or 20_000,
            progress=progress if verbose else None,
        )
        self._report(result, now)

    def _now(self, text: str | None) -> datetime:
        if not text:
            return timezone.now().replace(minute=0, second=0, microsecond=0)
        try:
            return parse_instant(text)
        except ValueError as error:
            raise CommandError(f"--now: {error}") from None

    def _report(self, result, now: datetime) -> None:
        if result.skipped:
            self.stdout.write("Deployments already exist; demo history not added.")
        else:
            counts = ", ".join(
                f"{result.written[key]:,} {label}" for key, label in _LABELS.items()
            )
            self.stdout.write(f"Demo history up to {now:%Y-%m-%d %H:%M} UTC: {counts}")
        people = ", ".join(f"{name} ({role})" for name, role, _ in DEMO_PEOPLE)
        # `make run HOST=... PORT=...` sets HINDSIGHT_BASE_URL to where it serves.
        login = settings.HINDSIGHT_BASE_URL.rstrip("/") + reverse("login")
        self.stdout.write(
            f"Log in at {login} as {people}, "
            f"password {DEMO_PASSWORD!r} (unless changed since)."
        )
