from django.apps import AppConfig


class Config(AppConfig):
    name = "thidua.web"
    label = "web"
