#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recovery.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line
    from django.db.utils import OperationalError

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        # A wrong setting is the operator's to fix: say which, without a traceback.
        sys.exit(f"Configuration error: {exc}")
    except OperationalError as exc:
        sys.exit(f"Cannot reach the database named by DATABASE_URL: {exc}".strip())


if __name__ == "__main__":
    main()
