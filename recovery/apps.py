from django.apps import AppConfig
from django.core.management import call_command
from django.db.models.signals import post_migrate


def _after_migrate(sender, using="default", **kwargs):
    from recovery.sync import sync_steps

    sync_steps()
    # The database cache's table (settings.CACHES without Redis); does nothing when it exists.
    call_command("createcachetable", database=using, verbosity=0)


class RecoveryConfig(AppConfig):
    name = "recovery"
    verbose_name = "Recovery path"

    def ready(self):
        from recovery import checks, signals  # noqa: F401  (they register themselves)

        post_migrate.connect(_after_migrate, sender=self)
