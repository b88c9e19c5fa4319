from django.core import checks

from recovery.content import library


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
