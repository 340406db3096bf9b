from django.apps import AppConfig


class Config(AppConfig):
    name = "thidua.api"
    label = "api"
