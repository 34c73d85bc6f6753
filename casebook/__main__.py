"""``python -m casebook``: the command line (and, without a command, the app)."""

from casebook.cli import main

main()
