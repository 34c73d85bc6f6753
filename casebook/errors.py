"""Exceptions raised by the core. Each carries the CLI exit code of the design's contract.

Messages are already translated into the user's language (see :mod:`casebook.i18n`), so the
CLI and GUI show ``str(error)`` as it is.
"""

from __future__ import annotations


class CasebookError(Exception):
    """Base class. ``exit_code`` follows the CLI contract."""

    exit_code = 1


class InvalidInputError(CasebookError):
    """Input refused (bad JSON, schema violation, unknown case...). Nothing was written.

    :param problems: the individual problems, each a :class:`casebook.models.Problem`.
    """

    exit_code = 1

    def __init__(self, message: str, problems: list | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems or [])


class NotFoundError(InvalidInputError):
    """A case, entry, task, attachment, report or plugin that does not exist."""


class AuthenticationError(CasebookError):
    """Wrong passphrase, locked notebook, unknown or revoked device."""

    exit_code = 3


class IntegrityError(CasebookError):
    """Tampered data, a broken hash chain, a forged or corrupt file."""

    exit_code = 4


class StorageError(CasebookError):
    """The disk or the folder failed: full, read-only, missing or reporting I/O errors.

    Not the data's fault and not the passphrase's: the message says what the disk did and
    where. What was being written was rolled back or removed.
    """

    exit_code = 5


class PluginError(CasebookError):
    """A plugin that cannot be installed, loaded or verified."""

    exit_code = 1


class PluginPermissionError(PluginError):
    """A plugin tried to write to the notebook or read a key while its hook was running.

    Plugins receive a read-only context; what they legitimately change, they return.
    """

    exit_code = 1
