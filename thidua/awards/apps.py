from django.apps import AppConfig


class Config(AppConfig):
    name = "thidua.awards"
    label = "awards"

    def ready(self):
        # Appeals and nominations register their requirements and effects on the lifecycle's steps.
        from . import appeals, nominations  # noqa: F401
