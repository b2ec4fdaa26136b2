import sys

from django.core.management.base import BaseCommand, CommandError

from incidents.postmortem_io import export_postmortem
from incidents.postmortem_selectors import get_postmortem


class Command(BaseCommand):
    help = "Write an incident's postmortem as Markdown with YAML front matter."

    def add_arguments(self, parser):
        parser.add_argument("key", help="The incident key, e.g. INC-42.")
        parser.add_argument("--out", help="A file to write; standard output if absent.")

    def handle(self, *args, key, out=None, **options):
        postmortem = get_postmortem(key)
        if postmortem is None:
            raise CommandError(f"{key} has no postmortem.")

        data = export_postmortem(postmortem).encode("utf-8")
        if out:
            with open(out, "wb") as handle:
                handle.write(data)
        else:
            sys.stdout.buffer.write(data)
