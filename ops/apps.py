import time

from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "ops"
    verbose_name = "Operations: health, metrics, backups"
    started_at = time.time()

    def ready(self) -> None:
        from . import prometheus, signals

        signals.connect()
        prometheus.register_collector()
