from django.apps import AppConfig


class Config(AppConfig):
    name = "thidua.awards"
    label = "awards"

    def ready(self):
        # issue 10: nominations register their requirements and effects on the lifecycle's steps.
        from . import nominations  # noqa: F401
