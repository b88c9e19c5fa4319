from django.apps import AppConfig


class MeConfig(AppConfig):
    name = "me"
    verbose_name = "A person's own pages"
