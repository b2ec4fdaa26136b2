import json

from django.core.management.base import BaseCommand, CommandError

from ops.apps import OpsConfig
from ops.health import CHECKS, OK, UNHEALTHY, health_report
from ops.version import hindsight_version


class Command(BaseCommand):
    help = (
        "Print the /health report as JSON; fail when unhealthy or when a check named "
        "with --require is not ok (for container health checks)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--require",
            action="append",
            default=[],
            choices=sorted(CHECKS),
            help="A check that must be ok; repeat for several.",
        )

    def handle(self, *args, require, **options):
        report = health_report(
            version=hindsight_version(), started_at=OpsConfig.started_at
        )
        self.stdout.write(json.dumps(report, indent=2))

        failing = [n for n in require if report["checks"][n]["status"] != OK]
        if report["status"] == UNHEALTHY or failing:
            raise CommandError(f"Unhealthy: {', '.join(failing) or 'database'}")
