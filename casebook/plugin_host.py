"""The plugin host: loads plugins, checks them, and calls every hook implementation in its
own guard so that one failing plugin is reported and never stops the others.

Sources, in order: entry points of the ``casebook`` group (built-ins are registered there
exactly like third-party plugins), then plugin files installed into the notebook with
``casebook plugins install``. Installed files are verified against an Ed25519 signature of a
trusted publisher when installed and their hash is checked again at every load.

Plugin errors are logged by type and location only: an exception message may quote case
data, and logs must never hold case data. The full message is kept in memory for
``plugins list`` and the GUI.

Hooks receive a read-only :class:`~casebook.plugin_context.PluginContext`, never the
notebook. Python cannot sandbox a module, so the host also keeps, per thread, which plugin's
code is running: the notebook's write path and key accessors call
:func:`refuse_while_plugin_runs`, so a plugin that reaches the notebook by other means is
refused too. The host checks what plugins return against the contract (rule ids and setting
keys in the plugin's namespace, severities from :data:`~casebook.models.SEVERITIES`, bounded
points) and times every hook against :data:`HOOK_BUDGET_MS`.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import importlib.metadata
import importlib.util
import json
import logging
import re
import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from casebook import clock, hookspecs
from casebook.errors import PluginError, PluginPermissionError
from casebook.i18n import _, language
from casebook.models import MAX_FINDING_POINTS, SEVERITIES, PluginInfo

#: 2: hooks receive ``context`` (a read-only plugin context) instead of ``notebook``, and
#: ``task_completed`` returns the entries to record.
API_VERSION = 2
ENTRY_POINT_GROUP = "casebook"
log = logging.getLogger("casebook.plugins")

#: How long one call of a hook may run (milliseconds) before it is reported as slow. Hooks
#: called for each case get 200 ms; the others look at the whole notebook once.
PER_CASE_HOOKS = frozenset(
    {
        "prepare_fields",
        "validate_case",
        "case_saved",
        "schedule_tasks",
        "task_completed",
        "review_case",
    }
)
HOOK_BUDGET_MS = {name: 200 if name in PER_CASE_HOOKS else 1000 for name in hookspecs.HOOK_NAMES}
#: What happens to a save when a plugin's ``validate_case`` fails (raises, or returns
#: something other than problems): ``refuse`` (the default: fail closed, naming the plugin)
#: or ``allow`` (the save goes through; the failure is still listed under the plugin).
FAILED_CHECK = "casebook.failed_check"
FAILED_CHECK_CHOICES = ("refuse", "allow")


RULE_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}(\.[a-z][a-z0-9_]{0,63})?$")
KEEP_REFUSALS = 20


# -- the guard --------------------------------------------------------------------------------


class _RunningCode(threading.local):
    """Per thread, a stack of whose code runs: a plugin's name, or None for the host's own
    code that a plugin called through its context."""

    def __init__(self) -> None:
        self.stack: list[str | None] = []


_running = _RunningCode()


#: What a plugin's code may raise that the host contains as that plugin's failure. Beside
#: ordinary exceptions: ``sys.exit()`` and ``KeyboardInterrupt`` raised inside a hook, which
#: would otherwise end the command half-way through a save.
PLUGIN_FAULTS: tuple[type[BaseException], ...] = (Exception, SystemExit, KeyboardInterrupt)

#: Result types that are never lazy, so ``run`` need not ask whether they are iterators.
EAGER_RESULTS = frozenset({list, tuple, dict, str, type(None), bool, int, float})


def running_plugin() -> str | None:
    """The plugin whose code is running on this thread, or None."""
    stack = _running.stack
    return stack[-1] if stack else None


#: What the guard refuses, by key. Translated only when refusing: the check runs at every
#: use of the connection, and a translation costs far more than the check.
GUARDED_ACTIONS: dict[str, Callable[[], str]] = {
    "write": lambda: _("write to the notebook"),
    "connection": lambda: _("use the notebook's connection"),
    "keys": lambda: _("read this laptop's keys"),
}


def refuse_while_plugin_runs(action: str) -> None:
    """Called by the notebook's write path and key accessors.

    :param action: what was attempted: a key of :data:`GUARDED_ACTIONS`.
    :raises PluginPermissionError: a plugin's hook is running on this thread.
    """
    stack = _running.stack
    if stack and stack[-1] is not None:
        plugin = stack[-1]
        log.warning("plugin %s was refused: %s", plugin, action)
        raise PluginPermissionError(
            _(
                "Plugin {plugin} may not {action}: plugins read through their context and"
                " return what they change."
            ).format(plugin=plugin, action=GUARDED_ACTIONS[action]())
        )


@contextmanager
def plugin_code(name: str) -> Iterator[None]:
    """Mark a plugin's code as running on this thread."""
    _running.stack.append(name)
    try:
        yield
    finally:
        _running.stack.pop()


class _HostCode:
    """Marks the host's own code (a context query) as running, inside a plugin's call.

    A class rather than a generator-based context manager: plugins query settings for every
    case, and this sits on that path."""

    __slots__ = ()

    def __enter__(self) -> None:
        _running.stack.append(None)

    def __exit__(self, *exc: object) -> None:
        _running.stack.pop()


_HOST_CODE = _HostCode()


def host_code() -> _HostCode:
    """``with host_code():`` marks the host's own code as running inside a plugin's call."""
    return _HOST_CODE


@dataclass
class LoadedPlugin:
    name: str
    version: str
    publisher: str
    source: str
    signed: bool
    api_versions: list[int]
    module: ModuleType | None = None
    enabled: bool = True
    refused: str = ""
    errors: list[str] = field(default_factory=list)
    trust: str = ""
    #: bare rule ids (without the ``name.`` prefix) the plugin declared and may use.
    rules: set[str] = field(default_factory=set)
    #: what the host refused of the plugin's results, by subject (kept in the notebook).
    refusals: dict[str, str] = field(default_factory=dict)
    #: hook -> the longest call over its budget (ms).
    slow_hooks: dict[str, float] = field(default_factory=dict)
    #: an installed file of the same name that was not loaded because of this plugin.
    clash: str = ""
    #: the declared title: language -> title (``casebook_plugin["title"]``).
    titles: dict[str, str] = field(default_factory=dict)

    def title(self) -> str:
        """The declared title in the user's language, else in English, else the name."""
        return self.titles.get(language()) or self.titles.get("en") or self.name

    def info(self) -> PluginInfo:
        return PluginInfo(
            name=self.name,
            version=self.version,
            publisher=self.publisher,
            source=self.source,
            signed=self.signed,
            enabled=self.enabled,
            api_versions=self.api_versions,
            errors=list(self.errors),
            refused=self.refused,
            trust=self.trust,
            refusals=list(self.refusals.values()),
            slow_hooks=[
                {"hook": hook, "ms": round(ms), "budget_ms": HOOK_BUDGET_MS.get(hook, 0)}
                for hook, ms in sorted(self.slow_hooks.items())
            ],
            title=self.title(),
        )


def plugin_metadata(module: ModuleType) -> dict[str, Any]:
    meta = getattr(module, "casebook_plugin", None)
    return meta if isinstance(meta, dict) else {}


def load_module_from_file(name: str, path: Path, package: str = "casebook_installed") -> ModuleType:
    """Import an installed plugin file under ``<package>.<name>``."""
    module_name = f"{package}.{name}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise PluginError(_("Cannot load plugin file {path}.").format(path=path))
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except PLUGIN_FAULTS as error:
        sys.modules.pop(module_name, None)
        raise PluginError(
            _("Plugin {name} failed to load: {error}").format(name=name, error=error)
        ) from error
    return module


def plugin_titles(meta: dict[str, Any]) -> dict[str, str]:
    """``casebook_plugin["title"]``: ``{"zh_CN": ..., "en": ...}``, or one title for all."""
    title = meta.get("title")
    if isinstance(title, str) and title.strip():
        return {"en": title.strip()}
    if isinstance(title, dict):
        return {
            str(lang): value.strip()
            for lang, value in title.items()
            if isinstance(value, str) and value.strip()
        }
    return {}


def verify_signature(path: Path, trusted: dict[str, str]) -> str:
    """Check ``path`` against ``path.sig`` and the trusted publishers.

    The signature file is JSON: ``{"publisher", "public_key", "signature"}`` (base64), the
    signature being Ed25519 over the plugin file's bytes. The publisher it names must be the
    name under which this notebook trusts the key: a key trusted as one publisher does not
    sign in another's name.

    :param trusted: public key (base64) -> publisher name.
    :returns: the publisher's name.
    :raises PluginError: when unsigned, not trusted or not matching.
    """
    sig_path = path.with_name(path.name + ".sig")
    if not sig_path.exists():
        raise PluginError(
            _(
                "Plugin {file} is not signed (no {sig}). Use --allow-unsigned to install it anyway."
            ).format(file=path.name, sig=sig_path.name)
        )
    try:
        signature = json.loads(sig_path.read_text(encoding="utf-8"))
        public_key_b64 = str(signature["public_key"])
        raw_signature = base64.b64decode(signature["signature"], validate=True)
        public_key = Ed25519PublicKey.from_public_bytes(
            base64.b64decode(public_key_b64, validate=True)
        )
    except (ValueError, KeyError, TypeError) as error:
        raise PluginError(
            _("The signature file {sig} is malformed.").format(sig=sig_path.name)
        ) from error
    if public_key_b64 not in trusted:
        raise PluginError(
            _("Plugin {file} is signed by a publisher this notebook does not trust.").format(
                file=path.name
            )
        )
    try:
        public_key.verify(raw_signature, path.read_bytes())
    except InvalidSignature as error:
        raise PluginError(
            _("The signature of plugin {file} does not match its contents.").format(file=path.name)
        ) from error
    claimed = str(signature.get("publisher") or "")
    if claimed != trusted[public_key_b64]:
        raise PluginError(
            _(
                "Plugin {file} is signed as publisher {claimed}, but this notebook trusts its"
                " key as {trusted}: sign it with --publisher {trusted}."
            ).format(file=path.name, claimed=claimed or "-", trusted=trusted[public_key_b64])
        )
    return trusted[public_key_b64]


class PluginHost:
    """Owns the pluggy manager and the guarded calls."""

    def __init__(
        self,
        on_error: Callable[[str, str], None] | None = None,
        on_notice: Callable[[str, str, str, str], None] | None = None,
    ) -> None:
        """:param on_error: also told of every failure as (plugin, message), to keep it.
        :param on_notice: also told of every refusal and slow hook as
            (plugin, "refusal" or "slow", subject, message), to keep it.
        """
        self.on_error = on_error
        self.on_notice = on_notice
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, LoadedPlugin] = {}
        # hook name -> [(plugin name, function, argument names)]; hooks run for every case
        # saved or imported, so pluggy's lists are read once (cleared on every registration).
        self._impls: dict[str, list[tuple[str, Callable[..., Any], tuple[str, ...]]]] = {}

    # -- loading ------------------------------------------------------------------------

    def load(
        self, disabled: set[str], installed: Iterable[dict[str, Any]], trusted: dict[str, str]
    ) -> None:
        for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            dist = getattr(entry_point, "dist", None)
            trust = "built-in" if dist is not None and dist.name == "casebook" else "package"
            self._add_from(
                entry_point.name,
                f"entry point {entry_point.value}",
                False,
                lambda ep=entry_point: ep.load(),
                disabled,
                publisher_from_dist(entry_point),
                trust,
                version=getattr(dist, "version", None) or "?",
            )
        for record in installed:
            self._load_installed(record, disabled, trusted)
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as error:
            # check_pending names the offending plugin object; refuse it, keep the others.
            for plugin in self.plugins.values():
                if plugin.module is not None and error.plugin is plugin.module:
                    self._refuse(
                        plugin, _("implements an unknown hook: {error}").format(error=error)
                    )

    def _load_installed(
        self, record: dict[str, Any], disabled: set[str], trusted: dict[str, str]
    ) -> None:
        name, path = record["name"], Path(record["path"])
        package = self.plugins.get(name)
        if package is not None:
            # A package (entry point) of the same name was found first: it stays, and the
            # file is not loaded. Both are named so that someone can rename or remove one.
            message = _(
                "The installed file {file} is not loaded: the plugin {name} is already"
                " provided by {source}. Rename the file's plugin, or disable and remove one"
                " of them."
            ).format(file=path.name, name=name, source=package.source)
            package.clash = message
            log.warning("plugin %s: an installed file has the name of a package", name)
            return

        def load() -> ModuleType:
            if not path.exists():
                raise PluginError(_("The installed file is missing."))
            if hashlib.sha256(path.read_bytes()).hexdigest() != record["sha256"]:
                raise PluginError(_("The installed file was changed after installation; refused."))
            if record["signed"]:
                verify_signature(path, trusted)
            return load_module_from_file(name, path)

        self._add_from(
            name,
            f"installed file {path.name}",
            bool(record["signed"]),
            load,
            disabled,
            record.get("publisher") or "",
            "signed" if record["signed"] else "unsigned",
        )

    def _add_from(
        self,
        name: str,
        source: str,
        signed: bool,
        load,
        disabled: set[str],
        publisher: str,
        trust: str,
        *,
        version: str = "?",
    ) -> None:
        plugin = LoadedPlugin(
            name=name,
            version=version,
            publisher=publisher,
            source=source,
            signed=signed,
            api_versions=[],
            enabled=name not in disabled,
            trust=trust,
        )
        self.plugins[name] = plugin
        if not plugin.enabled:
            # A disabled plugin is not even imported: disabling is how an officer gets rid of
            # one whose import kills the process (os._exit) or hangs.
            return
        try:
            module = load()
        except PLUGIN_FAULTS as error:  # a plugin that cannot even load is reported, not fatal
            self._refuse(plugin, _("failed to load: {error}").format(error=error))
            log.warning("plugin %s failed to load (%s)", name, type(error).__name__)
            return
        meta = plugin_metadata(module)
        plugin.module = module
        plugin.version = str(meta.get("version") or getattr(module, "__version__", "?"))
        plugin.publisher = str(meta.get("publisher") or publisher or "")
        plugin.api_versions = [int(v) for v in meta.get("api", []) if isinstance(v, int)]
        plugin.titles = plugin_titles(meta)
        asking = self._hooks_asking_for_notebook(module)
        if API_VERSION not in plugin.api_versions:
            reason = _(
                "supports host API versions {versions}, this Casebook provides {api}"
            ).format(versions=plugin.api_versions or "-", api=API_VERSION)
            if asking:
                reason += "; " + self._notebook_reason(asking)
            self._refuse(plugin, reason)
            return
        if asking:
            self._refuse(plugin, self._notebook_reason(asking))
            return
        declared = meta.get("rules") or []
        for rule in declared if isinstance(declared, list | tuple) else []:
            owner = next(
                (other.name for other in self.plugins.values() if rule in other.rules), None
            )
            if not isinstance(rule, str) or "." in rule or not RULE_ID.match(rule):
                self.refuse_result(
                    name, f"declared rule {rule}", _("{rule}: not a rule id").format(rule=rule)
                )
            elif owner is not None and owner != name:
                self.refuse_result(
                    name,
                    f"declared rule {rule}",
                    _("rule {rule} is declared by plugin {owner} already").format(
                        rule=rule, owner=owner
                    ),
                )
            else:
                plugin.rules.add(rule)
        if plugin.enabled:
            try:
                self._impls.clear()
                self.pm.register(module, name=name)
            except (ValueError, pluggy.PluginValidationError) as error:
                self._refuse(plugin, str(error))

    def _hooks_asking_for_notebook(self, module: ModuleType) -> list[str]:
        """The hook implementations of ``module`` that still name a ``notebook`` argument."""
        asking = []
        for attr in dir(module):
            if self.pm.parse_hookimpl_opts(module, attr) is None:
                continue
            args, kwargs = pluggy._hooks.varnames(getattr(module, attr))
            if "notebook" in args or "notebook" in kwargs:
                asking.append(attr)
        return sorted(asking)

    @staticmethod
    def _notebook_reason(hooks: list[str]) -> str:
        return _(
            "its hooks {hooks} ask for 'notebook': since host API 2 hooks receive 'context',"
            " a read-only plugin context (rename the argument and declare api [2])"
        ).format(hooks=", ".join(hooks))

    def _refuse(self, plugin: LoadedPlugin, reason: str) -> None:
        plugin.refused = reason
        plugin.errors.append(reason)
        if plugin.module is not None and self.pm.is_registered(plugin.module):
            self._impls.clear()
            self.pm.unregister(plugin.module)

    def load_trial(self, name: str, path: Path, source: str) -> LoadedPlugin:
        """Load a plugin file for a dry run (``plugins try``): unsigned, under
        ``casebook_trial.<name>``, replacing any plugin of that name in this host."""
        self.plugins.pop(name, None)
        self._add_from(
            name,
            source,
            False,
            lambda: load_module_from_file(name, path, "casebook_trial"),
            set(),
            "",
            "unsigned",
        )
        return self.plugins[name]

    def register_module(self, name: str, module: ModuleType, source: str = "test") -> None:
        """Register a module directly (used by tests and embedding applications)."""
        self._add_from(name, source, False, lambda: module, set(), "", "unsigned")

    # -- calling ------------------------------------------------------------------------

    def call(
        self,
        hook_name: str,
        *,
        failures: list[tuple[str, BaseException]] | None = None,
        **kwargs: Any,
    ) -> list[tuple[str, Any]]:
        """Call every implementation of a hook, each in its own guard.

        Implementations receive only the arguments they name (so specs can grow).
        :param failures: also told of each implementation that raised, as (plugin, error),
            for a caller that must not go on as if it had answered (a check that failed).
        :returns: (plugin name, result) for each implementation that returned normally.
        """
        impls = self._impls.get(hook_name)
        if impls is None:
            impls = self._impls[hook_name] = [
                (impl.plugin_name, impl.function, tuple(impl.argnames))
                for impl in reversed(getattr(self.pm.hook, hook_name).get_hookimpls())
            ]
        results: list[tuple[str, Any]] = []
        for name, function, argnames in impls:
            try:
                result = self.run(
                    name, hook_name, function, **{arg: kwargs[arg] for arg in argnames}
                )
            except PLUGIN_FAULTS as error:  # the guard: report, go on with the others
                self.report_error(name, hook_name, error)
                if failures is not None:
                    failures.append((name, error))
                continue
            results.append((name, result))
        return results

    def run(
        self, plugin_name: str, what: str, function: Callable[..., Any], *args, **kwargs
    ) -> Any:
        """Run a plugin's code (a hook, a report's build, a document's render): marked as
        the plugin's, so that writes and keys are refused, and timed against the budget.

        Exceptions propagate: the caller decides whether they are the plugin's error.
        """
        # Inlined rather than ``with plugin_code(...)``: this runs for every hook of every
        # case, several times per case in a bulk import.
        stack = _running.stack
        started = clock.monotonic_ms()
        stack.append(plugin_name)
        try:
            result = function(*args, **kwargs)
            if result.__class__ not in EAGER_RESULTS and isinstance(result, Iterator):
                # A generator's body runs when it is read: read it while still guarded.
                result = list(result)
            return result
        finally:
            stack.pop()
            budget = HOOK_BUDGET_MS.get(what)
            if budget is not None:
                elapsed = clock.monotonic_ms() - started
                if elapsed > budget:
                    self._note_slow(plugin_name, what, elapsed, budget)

    def _note_slow(self, plugin_name: str, hook_name: str, elapsed: float, budget: int) -> None:
        plugin = self.plugins.get(plugin_name)
        if plugin is None or elapsed <= plugin.slow_hooks.get(hook_name, 0):
            return  # logged and kept once per new worst time, not at every case
        plugin.slow_hooks[hook_name] = elapsed
        log.warning(
            "plugin %s: hook %s took %d ms (budget %d ms)",
            plugin_name,
            hook_name,
            round(elapsed),
            budget,
        )
        if self.on_notice is not None:
            self.on_notice(plugin_name, "slow", hook_name, str(round(elapsed)))

    # -- the contract of results ----------------------------------------------------------

    def refuse_result(self, plugin_name: str, subject: str, reason: str) -> None:
        """Report a result the host refused (logged without case data, kept, listed)."""
        plugin = self.plugins.get(plugin_name)
        if plugin is None:
            return
        message = f"{subject}: {reason}"
        if plugin.refusals.get(subject) == message:
            return
        plugin.refusals[subject] = message
        while len(plugin.refusals) > KEEP_REFUSALS:
            del plugin.refusals[next(iter(plugin.refusals))]
        log.warning("plugin %s: the host refused %s", plugin_name, subject)
        if self.on_notice is not None:
            self.on_notice(plugin_name, "refusal", subject, message)

    def check_finding(self, plugin_name: str, finding: Any) -> bool:
        """Whether a finding keeps to the contract; a refused one is reported."""
        rule = finding.rule
        subject = f"rule {rule}"
        plugin = self.plugins.get(plugin_name)
        own = plugin.rules if plugin else set()
        if not isinstance(rule, str) or not RULE_ID.match(rule):
            reason = _("{rule}: not a rule id").format(rule=rule)
        elif not (rule.startswith(plugin_name + ".") or rule in own):
            reason = _(
                "rule {rule} is outside the plugin's namespace: name it {name}.<rule>,"
                " or declare it in casebook_plugin['rules']"
            ).format(rule=rule, name=plugin_name)
        elif finding.severity not in SEVERITIES:
            subject = f"severity {finding.severity}"
            reason = _("severity {severity}: use one of {choices}").format(
                severity=finding.severity, choices=", ".join(SEVERITIES)
            )
        elif (
            not isinstance(finding.points, int)
            or isinstance(finding.points, bool)
            or not 0 <= finding.points <= MAX_FINDING_POINTS
        ):
            subject = f"points of {rule}"
            reason = _("points {points}: a finding deducts 0 to {most} points").format(
                points=finding.points, most=MAX_FINDING_POINTS
            )
        else:
            return True
        self.refuse_result(plugin_name, subject, reason)
        return False

    def check_alert(self, plugin_name: str, alert: Any) -> bool:
        if alert.severity in SEVERITIES:
            return True
        self.refuse_result(
            plugin_name,
            f"severity {alert.severity}",
            _("severity {severity}: use one of {choices}").format(
                severity=alert.severity, choices=", ".join(SEVERITIES)
            ),
        )
        return False

    def check_setting_key(self, plugin_name: str, key: Any) -> bool:
        if isinstance(key, str) and key.startswith(plugin_name + ".") and RULE_ID.match(key):
            return True
        self.refuse_result(
            plugin_name,
            f"setting {key}",
            _("setting {key} is outside the plugin's namespace: name it {name}.<key>").format(
                key=key, name=plugin_name
            ),
        )
        return False

    def check_schema_name(self, plugin_name: str, name: Any) -> bool:
        if isinstance(name, str) and name.startswith(plugin_name + ".") and RULE_ID.match(name):
            return True
        self.refuse_result(
            plugin_name,
            f"outcome schema {name}",
            _(
                "outcome schema {key} is outside the plugin's namespace: name it {name}.<name>"
            ).format(key=name, name=plugin_name),
        )
        return False

    def collect(
        self,
        hook_name: str,
        expected: type | tuple[type, ...] | None = None,
        *,
        failures: list[tuple[str, BaseException]] | None = None,
        **kwargs: Any,
    ) -> list[tuple[str, Any]]:
        """Call a ``register_*``-style hook and flatten the lists: (plugin, item) pairs.

        Items of the wrong type are reported as that plugin's error and dropped.
        :param failures: as :meth:`call`; a result of the wrong type counts as a failure.
        """
        items: list[tuple[str, Any]] = []
        for name, result in self.call(hook_name, failures=failures, **kwargs):
            if result is None:
                continue
            if not isinstance(result, list | tuple):
                error = TypeError(f"returned {type(result).__name__}, expected a list")
                self.report_error(name, hook_name, error)
                if failures is not None:
                    failures.append((name, error))
                continue
            for item in result:
                if expected is not None and not isinstance(item, expected):
                    error = TypeError(f"returned a {type(item).__name__} item")
                    self.report_error(name, hook_name, error)
                    if failures is not None:
                        failures.append((name, error))
                    continue
                items.append((name, item))
        return items

    def report_error(self, plugin_name: str, hook_name: str, error: BaseException) -> None:
        frame = traceback.extract_tb(error.__traceback__)[-1:] if error.__traceback__ else []
        where = f"{Path(frame[0].filename).name}:{frame[0].lineno}" if frame else "?"
        log.error(
            "plugin %s failed in %s: %s at %s", plugin_name, hook_name, type(error).__name__, where
        )
        plugin = self.plugins.get(plugin_name)
        if plugin is not None:
            message = f"{hook_name}: {type(error).__name__}: {error}"
            if message not in plugin.errors:
                plugin.errors.append(message)
                del plugin.errors[:-20]
            if self.on_error is not None:
                self.on_error(plugin_name, message)

    def version_of(self, name: str) -> str:
        plugin = self.plugins.get(name)
        return plugin.version if plugin else "?"


def publisher_from_dist(entry_point: importlib.metadata.EntryPoint) -> str:
    dist = getattr(entry_point, "dist", None)
    if dist is None:
        return ""
    return dist.metadata.get("Author") or dist.metadata.get("Author-email") or dist.name or ""
