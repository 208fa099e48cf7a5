#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    if sys.argv[1:2] == ["makemigrations"]:
        # Writing or checking migrations reads models only: let it run on a bare checkout (no
        # .env), where settings would otherwise refuse to start without secrets. DEBUG derives
        # throwaway keys; nothing is served or stored.
        os.environ.setdefault("DEBUG", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
