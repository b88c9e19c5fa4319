from django.core.management.base import BaseCommand

from recovery.sync import sync_steps


class Command(BaseCommand):
    help = "Create, update, rename and retire Step rows to match content/steps/*.md."

    def handle(self, *args, **options):
        summary = sync_steps()
        for action, slugs in summary.items():
            if slugs:
                self.stdout.write(f"{action}: {', '.join(slugs)}")
        if not any(summary.values()):
            self.stdout.write("Steps are in sync with content/steps/.")
