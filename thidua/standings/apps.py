from django.apps import AppConfig


class Config(AppConfig):
    name = "thidua.standings"
    label = "standings"
