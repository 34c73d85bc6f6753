"""Settings of the station (synced, declared by plugins) and preferences of this laptop."""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft202012Validator

from casebook.casetypes import FORMATS
from casebook.errors import InvalidInputError, NotFoundError
from casebook.i18n import _
from casebook.journal import Journal
from casebook.models import SettingSpec
from casebook.oplog import canonical_json, json_value
from casebook.plugin_host import FAILED_CHECK, FAILED_CHECK_CHOICES
from casebook.queries import Queries
from casebook.session import Session
from casebook.tasks import Tasks


class _ReadOnly:
    """A setting's JSON object or array. Every reader shares the cached value, so changing it
    raises; copies (``copy.copy``, ``copy.deepcopy``, pickling) are plain, changeable values."""

    _plain: type

    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError(
            "a setting's value is read-only: change a copy (dict(value) or list(value))"
        )

    def __copy__(self) -> Any:
        return self._plain(self)

    def __deepcopy__(self, memo: dict) -> Any:
        return _thaw(self)

    def __reduce__(self) -> Any:
        return (self._plain, (_thaw(self),))


class _ReadOnlyDict(_ReadOnly, dict):
    _plain = dict
    __setitem__ = __delitem__ = __ior__ = clear = pop = popitem = setdefault = update = (
        _ReadOnly._refuse
    )  # type: ignore[assignment]


class _ReadOnlyList(_ReadOnly, list):
    _plain = list
    __setitem__ = __delitem__ = __iadd__ = __imul__ = append = extend = insert = pop = remove = (
        clear
    ) = sort = reverse = _ReadOnly._refuse  # type: ignore[assignment]


def _freeze(value: Any) -> Any:
    """A JSON value whose containers refuse changes: settings are read for every case saved,
    and sharing one read-only value costs nothing where a copy per read did."""
    if isinstance(value, dict):
        return _ReadOnlyDict((key, _freeze(item)) for key, item in value.items())
    if isinstance(value, list):
        return _ReadOnlyList(_freeze(item) for item in value)
    return value


def _thaw(value: Any) -> Any:
    """A plain, changeable copy of a JSON value."""
    if isinstance(value, dict):
        return {key: _thaw(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_thaw(item) for item in value]
    return value


def setting_problem(spec: SettingSpec, value: Any) -> str | None:
    """Why ``value`` is not valid for the setting ``spec`` (its schema), or None."""
    error = next(
        iter(Draft202012Validator(spec.schema, format_checker=FORMATS).iter_errors(value)), None
    )
    if error is None:
        return None
    return _("{field}: invalid value").format(field=spec.key) + f" ({error.message})"


def host_setting_specs() -> list[SettingSpec]:
    """The station settings of Casebook itself (plugins declare theirs with
    ``register_settings``, in their own namespace)."""
    return [
        SettingSpec(
            key=FAILED_CHECK,
            title=_("When a plugin's check of a case fails"),
            default="refuse",
            schema={"enum": list(FAILED_CHECK_CHOICES)},
            description=_(
                "refuse: the save is refused, naming the plugin (the default); allow: the"
                " save goes through and the failure is listed under the plugin."
            ),
            plugin="casebook",
        )
    ]


class Settings:
    """Station settings (``config.set`` ops) and laptop preferences (not synced)."""

    def __init__(
        self, session: Session, journal: Journal, queries: Queries, tasks: Tasks, notebook: Any
    ) -> None:
        """:param notebook: the notebook (its host; the hook gets its ``plugin_context``)."""
        self.session = session
        self.journal = journal
        self.queries = queries
        self.tasks = tasks
        self._notebook = notebook
        self._setting_specs: dict[str, SettingSpec] | None = None
        #: Read-only values by key, shared by every reader (the plugin context reads it first).
        self.cached_settings: dict[str, Any] = {}
        journal.on_config_change(self.cached_settings.clear)
        session.after_rollback(self.cached_settings.clear)

    def forget_specs(self) -> None:
        """The loaded plugins changed: read their settings' declarations again."""
        self._setting_specs = None

    @property
    def host(self) -> Any:
        return self._notebook.host

    def setting_specs(self) -> list[SettingSpec]:
        if self._setting_specs is None:
            specs = {spec.key: spec for spec in host_setting_specs()}
            for plugin, spec in self.host.collect(
                "register_settings", SettingSpec, context=self._notebook.plugin_context
            ):
                if self.host.check_setting_key(plugin, spec.key):
                    spec.plugin = plugin
                    specs[spec.key] = spec
            self._setting_specs = specs
        return list(self._setting_specs.values())

    def setting(self, key: str) -> Any:
        """A station setting: the recorded value, else the declaring plugin's default.

        Plugins read settings for every case they see, so the values are cached; a
        ``config.set`` op, a rollback or a rebuild clears the cache. Every reader shares the
        cached value, so objects and arrays are read-only: change a copy
        (``dict(value)``, ``list(value)``); ``copy.deepcopy`` gives a plain one.
        """
        if key not in self.cached_settings:
            rows = self.session.query("SELECT value FROM config WHERE key = ?", (key,))
            if rows:
                value = json.loads(rows[0][0])
            else:
                self.setting_specs()
                spec = (self._setting_specs or {}).get(key)
                value = spec.default if spec else None
            self.cached_settings[key] = _freeze(value)
        return self.cached_settings[key]

    def set_setting(self, key: str, value: Any) -> None:
        """Change a station setting; validated, recorded in the log and synced."""
        self.setting_specs()
        spec = (self._setting_specs or {}).get(key)
        if spec is None:
            raise NotFoundError(_("No setting {key}.").format(key=key))
        value = json_value(value, key)
        problem = setting_problem(spec, value)
        if problem is not None:
            raise InvalidInputError(problem)
        with self.session.transaction():
            self.journal.append("config.set", None, {"key": key, "value": value})
            # A new schedule or threshold applies to open cases now, not at their next save.
            self._replan_open_cases()

    def _replan_open_cases(self) -> None:
        for (case_id,) in self.session.conn.execute(
            "SELECT case_id FROM cases WHERE deleted = 0 AND status != 'closed' ORDER BY created_hlc"
        ).fetchall():
            self.tasks.plan(self.queries.get_case(case_id))

    def preference(self, key: str, default: Any = None) -> Any:
        """A preference of this laptop (language, theme, idle lock, share path)."""
        rows = self.session.query("SELECT value FROM preferences WHERE key = ?", (key,))
        return json.loads(rows[0][0]) if rows else default

    def set_preference(self, key: str, value: Any) -> None:
        with self.session.transaction():
            self.session.conn.execute(
                "INSERT OR REPLACE INTO preferences VALUES (?, ?)",
                (key, canonical_json(json_value(value, key))),
            )
