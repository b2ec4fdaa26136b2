import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_slug

from incidents.importers.git_history import GitImportError, import_git_history


class Command(BaseCommand):
    help = (
        "Backfill a service's deployments from a git repository: each tag matching "
        "--tags becomes a successful deployment at the tag's date, carrying the "
        "commits it added. Running it again adds only new tags."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="A local clone of the service's repository")
        parser.add_argument("--service", required=True, help="Service slug")
        parser.add_argument("--environment", default="production")
        parser.add_argument(
            "--tags",
            default="*",
            help="Shell-style glob on tag names, as for `git tag --list` "
            "(default: every tag), e.g. 'v*'",
        )

    def handle(self, *args, path, service, environment, tags, **options):
        try:
            validate_slug(service)
        except ValidationError:
            raise CommandError(
                f"--service {service!r} is not a slug (letters, digits, - and _)."
            ) from None
        if not environment.strip():
            raise CommandError("--environment must not be empty.")

        started = time.monotonic()
        quiet = options["verbosity"] == 0

        def progress(message: str) -> None:
            if not quiet:
                self.stderr.write(f"[{time.monotonic() - started:6.1f}s] {message}")

        try:
            result = import_git_history(
                path=path,
                service_slug=service,
                environment=environment.strip(),
                pattern=tags,
                progress=progress,
            )
        except GitImportError as error:
            raise CommandError(str(error)) from None

        summary = (
            f"{result.created:,} deployments imported into {service}/{environment} "
            f"with {result.commits:,} commits; {result.skipped:,} tags were already "
            f"there."
        )
        if result.moved:
            summary += (
                f" {result.moved:,} commits moved from later tags to new ones that "
                "ship them first."
            )
        self.stdout.write(summary)
