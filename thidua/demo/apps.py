from django.apps import AppConfig


class Config(AppConfig):
    name = "thidua.demo"
    label = "demo"
