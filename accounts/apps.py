from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "People, roles and API tokens"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (audit hooks)
