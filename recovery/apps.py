from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_after_migrate(sender, **kwargs):
    from recovery.sync import sync_steps

    sync_steps()


class RecoveryConfig(AppConfig):
    name = "recovery"
    verbose_name = "Recovery path"

    def ready(self):
        from recovery import checks, signals  # noqa: F401  (they register themselves)

        post_migrate.connect(_sync_after_migrate, sender=self)
