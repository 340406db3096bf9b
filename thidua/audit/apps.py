from django.apps import AppConfig


class Config(AppConfig):
    name = "thidua.audit"
    label = "audit"
