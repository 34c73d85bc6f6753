"""What every ``casebook`` command needs: its notebook, passphrases and JSON output.

The core's commands (:mod:`casebook.cli`), sync's ``station`` and ``sync`` commands and the
commands that plugins add through ``register_commands`` all use these helpers, so each of
these things is done one way. This module is public: plugins may import it. It never imports
:mod:`casebook.cli`, which sits above it.
"""

from __future__ import annotations

import json
import logging
import math
import os
import sys
from pathlib import Path
from typing import Any

import click

from casebook import store
from casebook.errors import InvalidInputError
from casebook.i18n import _
from casebook.notebook import Notebook

log = logging.getLogger("casebook")

#: ``--json``: machine-readable output on stdout (the CLI contract).
json_option = click.option(
    "--json", "as_json", is_flag=True, help="Machine-readable output on stdout."
)

#: ``--file``: where a command that takes JSON reads it. Without it, or with ``-``, the JSON
#: comes from stdin: one input convention for every command (:func:`json_input`).
json_file_option = click.option(
    "--file",
    "file",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Read the JSON from FILE (default, or '-': stdin).",
)

#: ``--force``: commands that write a file refuse to replace an existing one without it.
force_option = click.option("--force", is_flag=True, help="Replace an existing file.")

#: How deeply JSON input may nest. Case fields and outcomes are a level or two deep; the
#: bound keeps a crafted input from exhausting the stack anywhere down the line.
MAX_JSON_DEPTH = 64


def read_bytes_input(file: str | None) -> bytes:
    """The bytes of ``file``, or of stdin when ``file`` is None or ``-``.

    :raises InvalidInputError: unreadable (missing, a folder, no permission...).
    """
    try:
        if file in (None, "-"):
            stream = getattr(sys.stdin, "buffer", None)
            if stream is None:  # a text-only stdin (an embedding application's)
                return check_text(sys.stdin.read() if sys.stdin else "", _("stdin")).encode()
            return stream.read()
        return Path(file).read_bytes()
    except OSError as error:
        raise InvalidInputError(
            _("Cannot read {file}: {error}").format(
                file=file, error=error.strerror or type(error).__name__
            )
        ) from error


def read_text_input(file: str | None) -> str:
    """The text of ``file``, or of stdin when ``file`` is None or ``-``; strictly UTF-8.

    :raises InvalidInputError: unreadable, or not UTF-8 text.
    """
    source = _("stdin") if file in (None, "-") else file
    data = read_bytes_input(file)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInputError(
            _("{file} is not UTF-8 text (byte {offset}).").format(file=source, offset=error.start)
        ) from error


def parse_json(text: str, what: str) -> Any:
    """Parse JSON given by the user: strict (no NaN or Infinity), at most
    :data:`MAX_JSON_DEPTH` deep, and every string valid Unicode (no lone surrogates).

    :param what: where the text came from, for the message (a file, stdin, "line 3"...).
    :raises InvalidInputError: naming ``what`` and the problem.
    """
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError as error:
        raise InvalidInputError(
            _("Invalid JSON in {what}: nested more than {depth} levels deep.").format(
                what=what, depth=MAX_JSON_DEPTH
            )
        ) from error
    except ValueError as error:
        raise InvalidInputError(
            _("Invalid JSON in {what}: {error}").format(what=what, error=error)
        ) from error
    _check_json_value(value, what)
    return value


def json_input(file: str | None, *, required: bool = True) -> Any:
    """The JSON a command takes: from ``--file FILE``, else (or with ``-``) from stdin.

    :param required: when False, no ``--file`` and an interactive or empty stdin mean no
        JSON (None) rather than an error, for commands whose JSON is optional.
    :raises InvalidInputError: unreadable, not UTF-8, not JSON, or missing when required.
    """
    if file is None and not required and (sys.stdin is None or _interactive()):
        return None
    text = read_text_input(file)
    what = _("stdin") if file in (None, "-") else file
    if not text.strip():
        if not required:
            return None
        raise InvalidInputError(
            _("No JSON in {what}: give it with --file FILE or on stdin.").format(what=what)
        )
    return parse_json(text, what)


def check_text(value: str, what: str) -> str:
    """``value`` if it is valid Unicode text.

    :raises InvalidInputError: for lone surrogates (invalid UTF-8 bytes on the command line
        or in the environment become such).
    """
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as error:
            raise InvalidInputError(
                _("{what} is not valid UTF-8 text.").format(what=what)
            ) from error
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(_("{name} is not a JSON number").format(name=name))


def _check_json_value(value: Any, what: str) -> None:
    """Depth and text of a parsed JSON value, without recursion."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise InvalidInputError(
                _("Invalid JSON in {what}: nested more than {depth} levels deep.").format(
                    what=what, depth=MAX_JSON_DEPTH
                )
            )
        if isinstance(item, str):
            check_text(item, what)
        elif isinstance(item, float) and not math.isfinite(item):
            raise InvalidInputError(
                _("Invalid JSON in {what}: a number is too large.").format(what=what)
            )
        elif isinstance(item, dict):
            for key, child in item.items():
                check_text(key, what)
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)


def _interactive() -> bool:
    """Whether stdin is a terminal an officer types on."""
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


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
        return check_text(value, env)
    if not _interactive():
        raise InvalidInputError(_("No passphrase: set {env} or run in a terminal.").format(env=env))
    entered = click.prompt(prompt or _("Passphrase"), hide_input=True, confirmation_prompt=confirm)
    return check_text(entered, _("The passphrase"))


def open_notebook(ctx: click.Context, *, load_plugins: bool = True) -> Notebook:
    """The notebook of this invocation, unlocked once and closed when the command ends.

    :param load_plugins: False for commands that must work whatever a plugin does when it
        is imported (``plugins disable``).
    :raises InvalidInputError: when there is no notebook in the folder.
    :raises AuthenticationError: on a wrong passphrase.
    :raises StorageError: when the disk or the folder fails.
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
        notebook = Notebook.open(folder, passphrase(), load_plugins=load_plugins)
        root.obj["notebook_obj"] = notebook
        root.call_on_close(notebook.close)
    return root.obj["notebook_obj"]


def setup_logging(folder: Path) -> None:
    """Log to the notebook folder. Only metadata is logged, never case content."""
    if any(isinstance(h, logging.FileHandler) for h in log.handlers):
        return
    logs = folder / "logs"
    path = logs / "casebook.log"
    try:
        store.make_private_dir(logs)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, store.PRIVATE_FILE))
        store.make_private(path)
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        return  # a read-only folder: the command itself will say so
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
    "MAX_JSON_DEPTH",
    "check_text",
    "default_notebook_dir",
    "emit_json",
    "force_option",
    "json_file_option",
    "json_input",
    "json_option",
    "notebook_dir",
    "open_notebook",
    "parse_json",
    "passphrase",
    "read_bytes_input",
    "read_text_input",
    "setup_logging",
]
