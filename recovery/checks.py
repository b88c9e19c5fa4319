import datetime

from django.conf import settings
from django.core import checks

from recovery.content import library

# A crisis line that nobody has checked against the organisation's own site for this long is
# listed again, so a maintainer knows which numbers to look at.
VERIFY_EVERY = datetime.timedelta(days=365)


@checks.register("content")
def check_content(app_configs=None, **kwargs):
    """Every problem in content/ as a system check: the message names the file, line and field."""
    lib = library()
    lib.refresh()
    messages = []
    for problem in lib.problems:
        if problem.level == "error":
            messages.append(checks.Error(str(problem), obj=problem.path, id="content.E001"))
        else:
            messages.append(checks.Warning(str(problem), obj=problem.path, id="content.W001"))
    return messages


@checks.register("content")
def check_crisis_lines_verified(app_configs=None, **kwargs):
    """Crisis lines that no person has verified, or not for a year: Info, listed by `manage.py
    check` but never failing it, so an honest empty `verified` does not break the build."""
    lib = library()
    lib.refresh()
    today = datetime.date.today()
    messages = []
    for page in lib.pages.values():
        for line in page.crisis_lines:
            where = f"{line.path}:{line.line}" if line.line else line.path
            if line.verified is None:
                why = "has never been verified against the organisation's own site"
            elif today - line.verified > VERIFY_EVERY:
                why = f"was last verified on {line.verified:%Y-%m-%d}, more than a year ago"
            else:
                continue
            messages.append(
                checks.Info(
                    f"{where}: crisis line '{line.name}' ({line.country}) {why}",
                    hint="Check the number and hours on the organisation's own site, then set "
                    "'verified' to today's date.",
                    obj=line.path,
                    id="content.I001",
                )
            )
    return messages


# Email backends that keep messages on this machine: in production, account emails would reach
# a log or a file instead of the person, and whoever reads those could reset their password.
LOCAL_EMAIL = ("console", "filebased", "locmem", "dummy")


@checks.register(checks.Tags.security, deploy=True)
def check_email_backend(app_configs=None, **kwargs):
    backend = settings.EMAIL_BACKEND
    if not settings.DEBUG and any(f"backends.{name}." in backend for name in LOCAL_EMAIL):
        return [
            checks.Warning(
                f"EMAIL_BACKEND is {backend}: password-reset links and sign-in codes would be kept on "
                "this machine (in the log for the console backend), where whoever reads it can take "
                "over accounts, and never reach the person.",
                hint="Set EMAIL_BACKEND to django.core.mail.backends.smtp.EmailBackend and EMAIL_HOST.",
                id="recovery.W002",
            )
        ]
    return []
