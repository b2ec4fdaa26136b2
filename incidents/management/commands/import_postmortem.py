from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from incidents.errors import DomainError
from incidents.postmortem_io import import_postmortem


class Command(BaseCommand):
    help = "Import a postmortem exported as Markdown with YAML front matter."

    def add_arguments(self, parser):
        parser.add_argument("path", help="The exported Markdown file.")

    def handle(self, *args, path, **options):
        try:
            text = Path(path).read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read {path}: {error}") from error
        try:
            postmortem = import_postmortem(text=text, actor=None)
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(
            f"Imported the postmortem of {postmortem.incident.key} "
            f"as version {postmortem.version}."
        )
