from django.apps import AppConfig


class Config(AppConfig):
    name = "thidua.campaigns"
    label = "campaigns"
