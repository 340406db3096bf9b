from django.apps import AppConfig


class Config(AppConfig):
    name = "thidua.accounts"
    label = "accounts"
