from django.apps import AppConfig


class Config(AppConfig):
    name = "thidua.territory"
    label = "territory"
