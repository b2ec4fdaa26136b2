from django.core.management.base import BaseCommand, CommandError

from accounts.models import Role
from accounts.services import TokenError, create_api_token


class Command(BaseCommand):
    help = "Create an API token for an integration and print it (shown only once)."

    def add_arguments(self, parser):
        parser.add_argument("name", help="A name for the integration, e.g. github-ci")
        parser.add_argument(
            "--role",
            choices=[r.value for r in Role],
            default=Role.INTEGRATION.value,
            help="integration (default) may post deployments and alerts only",
        )

    def handle(self, *args, name: str, role: str, **options):
        try:
            _, raw = create_api_token(name=name, role=Role(role))
        except TokenError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(raw)
