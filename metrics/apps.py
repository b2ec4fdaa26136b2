from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "metrics"
    verbose_name = "Metrics and exports"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (registers the record-changed hooks)
