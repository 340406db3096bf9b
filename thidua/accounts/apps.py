from django.apps import AppConfig


class Config(AppConfig):
    name = "thidua.accounts"
    label = "accounts"

    def ready(self):
        from . import security  # noqa: F401  (connects the login signals)
