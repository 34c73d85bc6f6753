"""The plugin host: loads plugins, checks them, and calls every hook implementation in its
own guard so that one failing plugin is reported and never stops the others.

Sources, in order: entry points of the ``casebook`` group (built-ins are registered there
exactly like third-party plugins), then plugin files installed into the notebook with
``casebook plugins install``. Installed files are verified against an Ed25519 signature of a
trusted publisher when installed and their hash is checked again at every load.

Plugin errors are logged by type and location only: an exception message may quote case
data, and logs must never hold case data. The full message is kept in memory for
``plugins list`` and the GUI.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import importlib.metadata
import importlib.util
import json
import logging
import sys
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from casebook import hookspecs
from casebook.errors import PluginError
from casebook.i18n import _
from casebook.models import PluginInfo

API_VERSION = 1
ENTRY_POINT_GROUP = "casebook"
log = logging.getLogger("casebook.plugins")


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
        )


def plugin_metadata(module: ModuleType) -> dict[str, Any]:
    meta = getattr(module, "casebook_plugin", None)
    return meta if isinstance(meta, dict) else {}


def load_module_from_file(name: str, path: Path) -> ModuleType:
    """Import an installed plugin file under ``casebook_installed.<name>``."""
    module_name = f"casebook_installed.{name}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise PluginError(_("Cannot load plugin file {path}.").format(path=path))
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        sys.modules.pop(module_name, None)
        raise PluginError(
            _("Plugin {name} failed to load: {error}").format(name=name, error=error)
        ) from error
    return module


def verify_signature(path: Path, trusted: dict[str, str]) -> str:
    """Check ``path`` against ``path.sig`` and the trusted publishers.

    The signature file is JSON: ``{"publisher", "public_key", "signature"}`` (base64), the
    signature being Ed25519 over the plugin file's bytes.

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
    return trusted[public_key_b64]


class PluginHost:
    """Owns the pluggy manager and the guarded calls."""

    def __init__(self, on_error: Callable[[str, str], None] | None = None) -> None:
        """:param on_error: also told of every failure as (plugin, message), to keep it."""
        self.on_error = on_error
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
    ) -> None:
        plugin = LoadedPlugin(
            name=name,
            version="?",
            publisher=publisher,
            source=source,
            signed=signed,
            api_versions=[],
            enabled=name not in disabled,
            trust=trust,
        )
        self.plugins[name] = plugin
        try:
            module = load()
        except Exception as error:  # a plugin that cannot even load is reported, not fatal
            self._refuse(plugin, _("failed to load: {error}").format(error=error))
            log.warning("plugin %s failed to load (%s)", name, type(error).__name__)
            return
        meta = plugin_metadata(module)
        plugin.module = module
        plugin.version = str(meta.get("version") or getattr(module, "__version__", "?"))
        plugin.publisher = str(meta.get("publisher") or publisher or "")
        plugin.api_versions = [int(v) for v in meta.get("api", []) if isinstance(v, int)]
        if API_VERSION not in plugin.api_versions:
            self._refuse(
                plugin,
                _("supports host API versions {versions}, this Casebook provides {api}").format(
                    versions=plugin.api_versions or "-", api=API_VERSION
                ),
            )
            return
        if plugin.enabled:
            try:
                self._impls.clear()
                self.pm.register(module, name=name)
            except (ValueError, pluggy.PluginValidationError) as error:
                self._refuse(plugin, str(error))

    def _refuse(self, plugin: LoadedPlugin, reason: str) -> None:
        plugin.refused = reason
        plugin.errors.append(reason)
        if plugin.module is not None and self.pm.is_registered(plugin.module):
            self._impls.clear()
            self.pm.unregister(plugin.module)

    def register_module(self, name: str, module: ModuleType, source: str = "test") -> None:
        """Register a module directly (used by tests and embedding applications)."""
        self._add_from(name, source, False, lambda: module, set(), "", "unsigned")

    # -- calling ------------------------------------------------------------------------

    def call(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call every implementation of a hook, each in its own guard.

        Implementations receive only the arguments they name (so specs can grow).
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
                result = function(**{arg: kwargs[arg] for arg in argnames})
            except Exception as error:  # the guard: report, go on with the others
                self.report_error(name, hook_name, error)
                continue
            results.append((name, result))
        return results

    def collect(
        self, hook_name: str, expected: type | tuple[type, ...] | None = None, **kwargs: Any
    ) -> list[tuple[str, Any]]:
        """Call a ``register_*``-style hook and flatten the lists: (plugin, item) pairs.

        Items of the wrong type are reported as that plugin's error and dropped.
        """
        items: list[tuple[str, Any]] = []
        for name, result in self.call(hook_name, **kwargs):
            if result is None:
                continue
            if not isinstance(result, list | tuple):
                self.report_error(
                    name, hook_name, TypeError(f"returned {type(result).__name__}, expected a list")
                )
                continue
            for item in result:
                if expected is not None and not isinstance(item, expected):
                    self.report_error(
                        name, hook_name, TypeError(f"returned a {type(item).__name__} item")
                    )
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
