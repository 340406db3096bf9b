from django.apps import AppConfig


class Config(AppConfig):
    name = "thidua.awards"
    label = "awards"
