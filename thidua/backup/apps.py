from django.apps import AppConfig


class Config(AppConfig):
    name = "thidua.backup"
    label = "backup"
