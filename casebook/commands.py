"""What every ``casebook`` command needs: its notebook, passphrases and JSON output.

The core's commands (:mod:`casebook.cli`), sync's ``station`` and ``sync`` commands and the
commands that plugins add through ``register_commands`` all use these helpers, so each of
these things is done one way. This module is public: plugins may import it. It never imports
:mod:`casebook.cli`, which sits above it.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

import click

from casebook.errors import InvalidInputError
from casebook.i18n import _
from casebook.notebook import Notebook

log = logging.getLogger("casebook")

#: ``--json``: machine-readable output on stdout (the CLI contract).
json_option = click.option(
    "--json", "as_json", is_flag=True, help="Machine-readable output on stdout."
)


def default_notebook_dir() -> Path:
    """The notebook folder when neither ``--notebook`` nor ``CASEBOOK_NOTEBOOK`` names one."""
    import platformdirs

    return Path(platformdirs.user_data_dir("casebook", appauthor=False)) / "notebook"


def notebook_dir(ctx: click.Context) -> Path:
    """The notebook folder of this invocation (``casebook --notebook DIR ...``)."""
    return Path(ctx.find_root().params.get("notebook") or default_notebook_dir())


def passphrase(
    prompt: str | None = None, *, confirm: bool = False, env: str = "CASEBOOK_PASSPHRASE"
) -> str:
    """A passphrase from the environment variable ``env`` (scripts) or a hidden prompt.

    :raises InvalidInputError: when ``env`` is unset and there is no terminal to ask on.
    """
    value = os.environ.get(env)
    if value:
        return value
    if not sys.stdin.isatty():
        raise InvalidInputError(_("No passphrase: set {env} or run in a terminal.").format(env=env))
    return click.prompt(prompt or _("Passphrase"), hide_input=True, confirmation_prompt=confirm)


def open_notebook(ctx: click.Context) -> Notebook:
    """The notebook of this invocation, unlocked once and closed when the command ends.

    :raises InvalidInputError: when there is no notebook in the folder.
    :raises AuthenticationError: on a wrong passphrase.
    """
    root = ctx.find_root()
    root.ensure_object(dict)
    if "notebook_obj" not in root.obj:
        folder = notebook_dir(ctx)
        if not Notebook.exists(folder):
            raise InvalidInputError(
                _("No notebook in {path}. Create one with: casebook init").format(path=folder)
            )
        setup_logging(folder)
        notebook = Notebook.open(folder, passphrase())
        root.obj["notebook_obj"] = notebook
        root.call_on_close(notebook.close)
    return root.obj["notebook_obj"]


def setup_logging(folder: Path) -> None:
    """Log to the notebook folder. Only metadata is logged, never case content."""
    if any(isinstance(h, logging.FileHandler) for h in log.handlers):
        return
    logs = folder / "logs"
    try:
        logs.mkdir(exist_ok=True)
        handler = logging.FileHandler(logs / "casebook.log", encoding="utf-8")
    except OSError:
        return
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)


def emit_json(value: Any, *, one_line: bool = False) -> None:
    """Print a value as JSON on stdout (dataclasses through their ``to_dict``).

    :param one_line: one compact line with sorted keys (JSON Lines), for commands that print
        a stream of values, such as ``casebook sync --watch``.
    """
    plain = _plain(value)
    if one_line:
        text = json.dumps(plain, ensure_ascii=False, sort_keys=True, default=str)
    else:
        text = json.dumps(plain, ensure_ascii=False, indent=2, default=str)
    click.echo(text)


def _plain(value: Any) -> Any:
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


__all__ = [
    "default_notebook_dir",
    "emit_json",
    "json_option",
    "notebook_dir",
    "open_notebook",
    "passphrase",
    "setup_logging",
]
