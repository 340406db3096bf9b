from django.apps import AppConfig


class Config(AppConfig):
    name = "thidua.units"
    label = "units"
