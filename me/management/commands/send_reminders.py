from django.core.management.base import BaseCommand

from me.reminders import send_due_reminders


class Command(BaseCommand):
    help = (
        "Send every email reminder that is due now, once. The job runner's schedule does this every "
        "five minutes; this command is the same job by hand (or from cron, without a job runner). "
        "Any number may run at once: each person gets at most one reminder a day."
    )

    def handle(self, *args, **options):
        sent = send_due_reminders()
        self.stdout.write(f"{sent} reminder(s) sent.")
