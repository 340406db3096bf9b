from django.apps import AppConfig


class Config(AppConfig):
    name = "thidua.exchange"
    label = "exchange"
