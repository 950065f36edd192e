#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wellness.settings")
    from django.conf import settings
    from django.core.management import execute_from_command_line

    from wellness.config import ConfigError

    try:
        # Load the settings before Django does: it would otherwise swallow the error
        # for `help` and print only core commands.
        settings.INSTALLED_APPS  # noqa: B018
        execute_from_command_line(sys.argv)
    except ConfigError as exc:
        # A deployer's typo deserves a sentence, not a traceback.
        sys.exit(f"Kneadful configuration error: {exc}")


if __name__ == "__main__":
    main()
