"""``python -m casebook.gui [--notebook DIR] [--demo-if-new]``"""

from __future__ import annotations

import argparse

from . import main


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m casebook.gui", description="Casebook desktop app"
    )
    parser.add_argument(
        "--notebook",
        metavar="DIR",
        default=None,
        help="notebook folder (default: CASEBOOK_NOTEBOOK or the user data dir)",
    )
    parser.add_argument(
        "--demo-if-new",
        action="store_true",
        help="offer demo cases, ticked, when the notebook is new",
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse_arguments()
    main(arguments.notebook, demo_if_new=arguments.demo_if_new)
