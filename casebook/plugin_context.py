"""What a plugin's hooks receive: a capability to read, not the notebook.

A :class:`PluginContext` answers queries (cases, search, tasks, alerts, a review that records
nothing, case types, attachments), reads settings, and gives the clock and translations. It
has no connection, no keys and no write method: what a plugin changes (task plans, findings,
entries after a task) it returns, and the host records it in ops that name the plugin and its
version as well as the officer.

Each query runs as the host's code (:func:`casebook.plugin_host.host_code`), so the guard
that refuses writes and keys while a plugin runs lets the host's own reads through.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from casebook import clock, i18n
from casebook.plugin_host import host_code

if TYPE_CHECKING:
    from casebook.models import (
        Alert,
        Case,
        CaseSummary,
        Officer,
        ReviewResult,
        SettingSpec,
        Task,
    )
    from casebook.notebook import Notebook


class PluginContext:
    """The read-only view of an open notebook that every hook receives.

    One context per notebook: plugins may use it as a cache key (it is weak-referenceable
    and hashable by identity).
    """

    __slots__ = ("__notebook", "__weakref__")

    def __init__(self, notebook: Notebook) -> None:
        self.__notebook = notebook

    def __repr__(self) -> str:
        return "<PluginContext>"

    # -- who and when ----------------------------------------------------------------------

    @property
    def officer(self) -> dict[str, str]:
        """This laptop's officer: ``{officer_id, name, unit}`` (a copy)."""
        with host_code():
            return self.__notebook.officer

    def officers(self) -> list[Officer]:
        """The station roster: every officer known here (id, name, unit)."""
        with host_code():
            return self.__notebook.officers()

    def officer_name(self, officer_id: str) -> str:
        """An officer's name from the station roster, or the officer id when it is unknown."""
        with host_code():
            return self.__notebook.officer_name(officer_id)

    def officer_names(self) -> dict[str, str]:
        """``{officer id: name}`` of every officer in the roster."""
        with host_code():
            return self.__notebook.officer_names()

    def responsible_officer(self, case_id: str) -> str:
        """The officer id responsible for a case now (the creator unless it was handed over)."""
        with host_code():
            return self.__notebook.responsible_officer(case_id)

    @staticmethod
    def now() -> datetime:
        """The current time (aware), from the one clock (:mod:`casebook.clock`)."""
        return clock.now()

    @staticmethod
    def language() -> str:
        """The user's language code (``"zh_CN"``, ``"en"``)."""
        return i18n.language()

    @staticmethod
    def gettext(domain: str, localedir: str | Path) -> Any:
        """A ``_(text)`` function for the plugin's own catalog (``localedir/<lang>/LC_MESSAGES``)."""
        return i18n.gettext_for(domain, Path(localedir))

    # -- cases -----------------------------------------------------------------------------

    def case_types(self) -> dict[str, dict[str, Any]]:
        """``{type name: JSON Schema}`` of every registered case type (copies)."""
        with host_code():
            return copy.deepcopy(self.__notebook.case_types())

    def get_case(self, case_id: str) -> Case:
        """A case with its entries and attachments. :raises NotFoundError:"""
        with host_code():
            return self.__notebook.get_case(case_id)

    def list_cases(self, **filters: Any) -> list[CaseSummary]:
        """Case rows, with :meth:`casebook.Notebook.list_cases`'s filters and sorting."""
        with host_code():
            return self.__notebook.list_cases(**filters)

    def count_cases(self, **filters: Any) -> int:
        """How many cases match :meth:`casebook.Notebook.count_cases`'s filters."""
        with host_code():
            return self.__notebook.count_cases(**filters)

    def iter_cases(self, **filters: Any) -> Iterator[Case]:
        """Every matching case, loaded in batches (filters as :meth:`list_cases`)."""
        with host_code():
            cases = self.__notebook.iter_cases(**filters)
        while True:
            with host_code():
                case = next(cases, None)
            if case is None:
                return
            yield case

    def search(self, query: str, *, limit: int = 50) -> list[CaseSummary]:
        """Full-text search, as :meth:`casebook.Notebook.search`."""
        with host_code():
            return self.__notebook.search(query, limit=limit)

    def read_attachment(self, attachment_id: str) -> bytes:
        """An attachment's decrypted bytes (e.g. the photo a printed notice needs)."""
        with host_code():
            return self.__notebook.read_attachment(attachment_id)

    # -- tasks, alerts, review -------------------------------------------------------------

    def tasks(self, at: Any = None, **filters: Any) -> list[Task]:
        """Pending tasks, as :meth:`casebook.Notebook.tasks`."""
        with host_code():
            return self.__notebook.tasks(at, **filters)

    def task_counts(self, at: Any = None) -> dict[str, int]:
        with host_code():
            return self.__notebook.task_counts(at)

    def get_task(self, task_id: str) -> Task:
        with host_code():
            return self.__notebook.get_task(task_id)

    def alerts(self, at: Any = None) -> list[Alert]:
        """Every plugin's alerts as of ``at``."""
        with host_code():
            return self.__notebook.alerts(at)

    def review(self, case_id: str | None = None, at: Any = None) -> list[ReviewResult]:
        """The legal review of one case or all as of ``at``, computed and not recorded."""
        with host_code():
            return self.__notebook._review.review(case_id, at, record=False)

    def recorded_reviews(self) -> list[ReviewResult]:
        """The last recorded review of every case."""
        with host_code():
            return self.__notebook.recorded_reviews()

    # -- settings --------------------------------------------------------------------------

    def setting(self, key: str) -> Any:
        """A station setting (objects and arrays are read-only: change a copy)."""
        # The hot path: plugins read settings for every case they see (a dozen per case in a
        # bulk import). A cached value touches no store, so it needs no guard either.
        settings = getattr(self.__notebook, "_settings", None)
        cache = settings.cached_settings if settings is not None else {}
        if key in cache:
            return cache[key]
        with host_code():
            return self.__notebook.setting(key)

    def setting_specs(self) -> list[SettingSpec]:
        with host_code():
            return self.__notebook.setting_specs()
