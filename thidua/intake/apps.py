from django.apps import AppConfig


class Config(AppConfig):
    name = "thidua.intake"
    label = "intake"
