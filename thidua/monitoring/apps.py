from django.apps import AppConfig


class Config(AppConfig):
    name = "thidua.monitoring"
    label = "monitoring"
