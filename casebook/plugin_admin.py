"""Plugin administration: loading, enabling, trusting and installing plugins, and their errors."""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from casebook import clock, store
from casebook.errors import InvalidInputError, NotFoundError, PluginError
from casebook.i18n import _
from casebook.keys import b64d
from casebook.models import PanelSpec, PluginInfo, ReviewResult
from casebook.plugin_host import ENTRY_POINT_GROUP, PluginHost, verify_signature
from casebook.session import Session

PLUGIN_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class PluginAdmin:
    """Owns the plugin host (:attr:`host`) and the plugins' state in the store."""

    def __init__(
        self,
        session: Session,
        folder: Path,
        notebook: Any,
        on_change: Callable[[], None],
    ) -> None:
        """:param notebook: the notebook (its host; hooks get its ``plugin_context``).
        :param on_change: called when the set of loaded plugins changed (to re-read their types).
        """
        self.session = session
        self.folder = folder
        self._notebook = notebook
        self._on_change = on_change
        self.host = PluginHost(self._keep_plugin_error, self._keep_plugin_notice)
        #: Whether the plugins were loaded: a notebook opened without them (to disable one
        #: whose import kills the process) changes their state without importing any.
        self.loaded = False

    def load(self) -> None:
        """(Re)load every plugin found, as enabled, installed and trusted in the store."""
        self.loaded = True
        rows = self.session.query(
            "SELECT name, enabled, path, sha256, signed, publisher FROM plugin_state"
        )
        disabled = {r[0] for r in rows if not r[1]}
        installed = [
            {"name": r[0], "path": r[2], "sha256": r[3], "signed": r[4], "publisher": r[5]}
            for r in rows
            if r[2]
        ]
        self.host = PluginHost(self._keep_plugin_error, self._keep_plugin_notice)
        self.host.load(disabled, installed, self._trusted_publishers())
        self._on_change()

    def register_plugin(self, name: str, module: Any) -> None:
        """Register a plugin module directly (embedding applications and tests)."""
        self.host.register_module(name, module)
        self._on_change()

    def plugins(self) -> list[PluginInfo]:
        """Every plugin found, with version, publisher, trust and its recent errors."""
        kept: dict[str, list[str]] = {}
        for plugin, message, at in self.session.query(
            "SELECT plugin, message, at FROM plugin_errors ORDER BY id"
        ):
            kept.setdefault(plugin, []).append(f"{message} ({at})")
        refusals: dict[str, list[str]] = {}
        slow: dict[str, dict[str, float]] = {}
        for plugin, kind, subject, message, at in self.session.query(
            "SELECT plugin, kind, subject, message, at FROM plugin_notices ORDER BY at, subject"
        ):
            if kind == "refusal":
                refusals.setdefault(plugin, []).append(f"{message} ({at})")
            elif kind == "slow":
                slow.setdefault(plugin, {})[subject] = float(message)
        infos = []
        for plugin in sorted(self.host.plugins.values(), key=lambda p: p.name):
            for hook, elapsed in slow.get(plugin.name, {}).items():
                plugin.slow_hooks[hook] = max(elapsed, plugin.slow_hooks.get(hook, 0))
            info = plugin.info()
            info.errors = (
                ([info.refused] if info.refused else [])
                + ([plugin.clash] if plugin.clash else [])
                + kept.get(plugin.name, [])
            )
            info.refusals = refusals.get(plugin.name, info.refusals)
            infos.append(info)
        return infos

    def _keep_plugin_error(self, plugin: str, message: str) -> None:
        """Keep a plugin's failure in the (encrypted) store: the message may quote case data."""
        with self.session.lock:
            if not self.session.is_open:
                return
            at = clock.format_datetime(clock.now())
            self.session.conn.execute(
                "INSERT INTO plugin_errors (plugin, message, at) VALUES (?, ?, ?)",
                (plugin, message[:2000], at),
            )
            self.session.conn.execute(
                "DELETE FROM plugin_errors WHERE plugin = ? AND id NOT IN (SELECT id FROM plugin_errors"
                " WHERE plugin = ? ORDER BY id DESC LIMIT 50)",
                (plugin, plugin),
            )

    def _keep_plugin_notice(self, plugin: str, kind: str, subject: str, message: str) -> None:
        """Keep a refusal or a slow hook in the store, so ``plugins list`` shows it later.

        A slow hook keeps its longest time; a refusal its latest message."""
        with self.session.lock:
            if not self.session.is_open:
                return
            self.session.conn.execute(
                "INSERT INTO plugin_notices VALUES (?, ?, ?, ?, ?) ON CONFLICT (plugin, kind, subject)"
                " DO UPDATE SET message = excluded.message, at = excluded.at"
                " WHERE excluded.kind != 'slow'"
                " OR CAST(excluded.message AS REAL) > CAST(plugin_notices.message AS REAL)",
                (plugin, kind, subject[:200], message[:2000], clock.format_datetime(clock.now())),
            )

    def _known_plugin_names(self) -> set[str]:
        """Every plugin found, loaded or not: without importing one."""
        names = set(self.host.plugins)
        names.update(
            entry_point.name
            for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
        )
        names.update(
            r[0] for r in self.session.query("SELECT name FROM plugin_state WHERE path IS NOT NULL")
        )
        return names

    def _set_plugin_enabled(self, name: str, enabled: bool) -> None:
        if name not in self._known_plugin_names():
            raise NotFoundError(_("No plugin {name}.").format(name=name))
        with self.session.transaction():
            self.session.conn.execute(
                "INSERT INTO plugin_state (name, enabled) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET enabled = excluded.enabled",
                (name, int(enabled)),
            )
        if self.loaded:
            self.load()

    def enable_plugin(self, name: str) -> None:
        self._set_plugin_enabled(name, True)

    def disable_plugin(self, name: str) -> None:
        self._set_plugin_enabled(name, False)

    def _trusted_publishers(self) -> dict[str, str]:
        return {
            r[0]: r[1]
            for r in self.session.query("SELECT public_key, name FROM trusted_publishers")
        }

    def trust_publisher(self, name: str, public_key: str) -> None:
        """Trust plugins signed by this Ed25519 public key (base64 of the 32 raw bytes)."""
        try:
            Ed25519PublicKey.from_public_bytes(b64d(public_key.strip()))
        except (ValueError, AttributeError) as error:
            raise InvalidInputError(_("public_key: not an Ed25519 public key (base64)")) from error
        if not isinstance(name, str) or not name.strip():
            raise InvalidInputError(_("{field}: this field is required").format(field="name"))
        with self.session.transaction():
            self.session.conn.execute(
                "INSERT OR REPLACE INTO trusted_publishers VALUES (?, ?)",
                (public_key.strip(), name.strip()),
            )

    def install_plugin(
        self, path: str | os.PathLike, *, allow_unsigned: bool = False
    ) -> PluginInfo:
        """Install a plugin file, verified against a trusted publisher's signature.

        :raises PluginError: unsigned (without ``allow_unsigned``), untrusted, tampered, or
            refused when loaded; nothing is installed then.
        """
        source = self._plugin_file(path)
        name = source.stem
        signature = source.with_name(source.name + ".sig")
        if signature.exists() or not allow_unsigned:
            publisher, signed = verify_signature(source, self._trusted_publishers()), True
        else:
            publisher, signed = "", False
        loaded = self.host.plugins.get(name)
        if loaded is not None and not loaded.source.startswith("installed"):
            raise PluginError(
                _(
                    "A plugin named {name} is already provided by {source}: rename the file"
                    " (and its plugin's namespace) before installing it."
                ).format(name=name, source=loaded.source)
            )
        target = self.folder / "plugins" / source.name
        store.make_private_dir(target.parent)
        content = source.read_bytes()
        shutil.copyfile(source, target)
        store.make_private(target)
        if signed:
            shutil.copyfile(signature, target.with_name(target.name + ".sig"))
            store.make_private(target.with_name(target.name + ".sig"))
        with self.session.transaction():
            self.session.conn.execute(
                "INSERT OR REPLACE INTO plugin_state VALUES (?, 1, ?, ?, ?, ?)",
                (name, str(target), hashlib.sha256(content).hexdigest(), int(signed), publisher),
            )
        self.load()
        info = self.host.plugins[name]
        if info.refused:
            with self.session.transaction():
                self.session.conn.execute("DELETE FROM plugin_state WHERE name = ?", (name,))
            target.unlink(missing_ok=True)
            target.with_name(target.name + ".sig").unlink(missing_ok=True)
            self.load()
            raise PluginError(
                _("Plugin {name} refused: {reason}").format(name=name, reason=info.refused)
            )
        return info.info()

    def try_plugin(self, path: str | os.PathLike, at: Any = None) -> list[ReviewResult]:
        """Run a plugin file's review rules against this notebook, read-only: nothing is
        installed, recorded or kept (not even the plugin's errors, which come back as
        warnings). The file need not be signed.

        The notebook's own plugins run alongside it (another plugin's case types or fields
        may be what its rules read); an installed plugin of the same name is replaced by the
        file for the trial.

        :returns: the review of every case, with only the tried plugin's findings and
            warnings.
        :raises PluginError: not a plugin file, or the host refuses it.
        """
        source = self._plugin_file(path)
        name = source.stem
        loaded = self.host.plugins.get(name)
        if loaded is not None and not loaded.source.startswith("installed"):
            raise PluginError(
                _(
                    "A plugin named {name} is already provided by {source}: rename the file"
                    " (and its plugin's namespace) before trying it."
                ).format(name=name, source=loaded.source)
            )
        problems: list[str] = []

        def keep_error(plugin: str, message: str) -> None:
            if plugin == name:
                problems.append(message)

        def keep_notice(plugin: str, kind: str, subject: str, message: str) -> None:
            if plugin == name and kind == "refusal":
                problems.append(_("refused result: {refusal}").format(refusal=message))

        rows = self.session.query(
            "SELECT name, enabled, path, sha256, signed, publisher FROM plugin_state"
        )
        trial = PluginHost(keep_error, keep_notice)
        trial.load(
            {r[0] for r in rows if not r[1]} | {name},
            [
                {"name": r[0], "path": r[2], "sha256": r[3], "signed": r[4], "publisher": r[5]}
                for r in rows
                if r[2] and r[0] != name
            ],
            self._trusted_publishers(),
        )
        tried = trial.load_trial(
            name, source, _("the file {file} (on trial)").format(file=source.name)
        )
        if tried.refused:
            raise PluginError(
                _("Plugin {name} refused: {reason}").format(name=name, reason=tried.refused)
            )
        kept = self.host
        self.host = trial
        try:
            self._on_change()
            results = self._notebook.review(at=at)
        finally:
            self.host = kept
            self._on_change()
        own_warnings = list(dict.fromkeys(problems))
        reviewed = []
        for result in results:
            findings = [f for f in result.findings if f.plugin == name]
            warnings = [w for w in result.warnings if name in w] + own_warnings
            result.findings = findings
            result.score = max(0, 100 - sum(f.points for f in findings if not f.rectified))
            result.warnings = list(dict.fromkeys(warnings))
            reviewed.append(result)
        return reviewed

    @staticmethod
    def _plugin_file(path: str | os.PathLike) -> Path:
        source = Path(path)
        if not source.is_file() or source.suffix != ".py":
            raise PluginError(_("A plugin is a .py file: {path}").format(path=source))
        if not PLUGIN_NAME.match(source.stem):
            raise PluginError(
                _("Plugin file names use lowercase letters, digits and '_': {name}").format(
                    name=source.stem
                )
            )
        return source

    def gui_panels(self) -> list[PanelSpec]:
        panels = []
        for plugin, spec in self.host.collect(
            "register_gui_panels", PanelSpec, context=self._notebook.plugin_context
        ):
            spec.plugin = spec.plugin or plugin
            panels.append(spec)
        return panels
