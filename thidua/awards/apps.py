from django.apps import AppConfig


class Config(AppConfig):
    name = "thidua.awards"
    label = "awards"

    def ready(self):
        from . import appeals  # noqa: F401 - registers its checks of the lifecycle's steps
