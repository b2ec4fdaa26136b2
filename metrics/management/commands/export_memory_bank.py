from datetime import UTC, date, datetime, time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from metrics.memory_bank.export import export_memory_bank


class Command(BaseCommand):
    help = (
        "Write CLAUDE-infrastructure.md, CLAUDE-metrics.md and CLAUDE-incidents.md "
        "(atomically; unchanged files are left untouched)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--out",
            default=None,
            help=f"Directory to write to (default: MEMORY_BANK_DIR, now "
            f"{settings.MEMORY_BANK_DIR}).",
        )
        parser.add_argument(
            "--as-of",
            default=None,
            help="Export as of this instant (RFC 3339 with a zone) or day (YYYY-MM-DD, "
            "meaning its start in UTC) instead of now, for reproducible exports.",
        )
        parser.add_argument(
            "--max-bytes",
            type=int,
            default=None,
            help="Size bound per file (default: MEMORY_BANK_MAX_BYTES).",
        )

    def handle(self, *args, out, as_of, max_bytes, **options):
        now = _parse_moment(as_of) if as_of else None
        if max_bytes is not None and max_bytes < 1000:
            raise CommandError("--max-bytes must be at least 1000.")

        result = export_memory_bank(out_dir=out, now=now, max_bytes=max_bytes)

        for name, size in sorted(result.sizes.items()):
            state = "written" if name in result.changed else "unchanged"
            self.stdout.write(f"{result.directory / name}: {size} bytes, {state}")
        self.stdout.write(f"Exported in {result.seconds:.2f}s.")


def _parse_moment(text: str) -> datetime:
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(), tzinfo=UTC)
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        message = f"--as-of must be a date or a time with a zone: {text!r}"
        raise CommandError(message) from error
    if moment.utcoffset() is None:
        raise CommandError(f"--as-of needs a zone (like Z or +02:00): {text!r}")
    return moment
