"""Plugins: what is loaded, who signed it, what failed; install, enable, disable."""

from __future__ import annotations

import tkinter as tk

import ttkbootstrap as ttk

from casebook.models import PluginInfo

from ..screen import Screen, clear_tree, make_tree
from ..text import N_, _


class PluginsScreen(Screen):
    title = N_("Plugins")

    def create_widgets(self) -> None:
        self.plugins: dict[str, PluginInfo] = {}
        header = ttk.Frame(self)
        header.pack(fill="x")
        ttk.Label(header, text=_("Plugins"), font=("TkHeadingFont", 16, "bold")).pack(side="left")
        frame, self.tree = make_tree(
            self,
            [
                ("name", _("Name"), 160),
                ("version", _("Version"), 70),
                ("publisher", _("Publisher"), 180),
                ("source", _("Source"), 110),
                ("signed", _("Signature"), 110),
                ("enabled", _("State"), 80),
                ("problems", _("Problems"), 300),
            ],
            height=12,
        )
        frame.pack(fill="both", expand=True, pady=(8, 0))
        self.tree.tag_configure("problem", foreground="#c0392b")
        self.tree.tag_configure("disabled", foreground="#888888")
        self.tree.bind("<<TreeviewSelect>>", lambda _event: self.on_select())
        buttons = ttk.Frame(self, padding=(0, 8))
        buttons.pack(fill="x")
        ttk.Button(
            buttons, text=_("Enable"), bootstyle="success", command=lambda: self.on_enable(True)
        ).pack(side="left")
        ttk.Button(
            buttons, text=_("Disable"), bootstyle="warning", command=lambda: self.on_enable(False)
        ).pack(side="left", padx=6)
        ttk.Separator(buttons, orient="vertical").pack(side="left", fill="y", padx=10)
        ttk.Button(
            buttons, text=_("Install from file…"), bootstyle="primary", command=self.on_install
        ).pack(side="left")
        self.allow_unsigned = tk.BooleanVar(self, value=False)
        ttk.Checkbutton(
            buttons,
            text=_("Allow an unsigned plugin (it will be marked)"),
            variable=self.allow_unsigned,
            bootstyle="danger",
        ).pack(side="left", padx=8)
        self.details = ttk.Label(self, text="", wraplength=1000, justify="left")
        self.details.pack(anchor="w", fill="x")

    def refresh(self) -> None:
        clear_tree(self.tree)
        self.plugins = {}
        for plugin in self.guarded(self.nb.plugins) or []:
            self.plugins[plugin.name] = plugin
            problems = "; ".join(
                [
                    *([plugin.refused, *plugin.errors] if plugin.refused else plugin.errors),
                    *self.notices(plugin),
                ]
            )
            tags = ("problem",) if problems else () if plugin.enabled else ("disabled",)
            self.tree.insert(
                "",
                "end",
                iid=plugin.name,
                tags=tags,
                values=(
                    plugin.title or plugin.name,
                    plugin.version,
                    plugin.publisher,
                    self.source_label(plugin),
                    self.trust_label(plugin),
                    _("Enabled") if plugin.enabled else _("Disabled"),
                    problems,
                ),
            )

    @staticmethod
    def notices(plugin: PluginInfo) -> list[str]:
        """The results the host refused and the hooks over their time budget."""
        return [
            *(
                _("Refused result: {refusal}").format(refusal=refusal)
                for refusal in plugin.refusals
            ),
            *(
                _("Slow: {hook} took {ms} ms (budget {budget} ms)").format(
                    hook=slow["hook"], ms=slow["ms"], budget=slow["budget_ms"]
                )
                for slow in plugin.slow_hooks
            ),
        ]

    @staticmethod
    def source_label(plugin: PluginInfo) -> str:
        """Where the plugin comes from, in words: its code name for a package, its file."""
        if plugin.source.startswith("installed file "):
            return _("File {file}").format(file=plugin.source.removeprefix("installed file "))
        return plugin.name

    @staticmethod
    def trust_label(plugin: PluginInfo) -> str:
        """Why the plugin's code is trusted: shipped with Casebook, pip, or a signature."""
        trust = getattr(plugin, "trust", "")
        if trust == "built-in":
            return _("Built-in")
        if trust == "package":
            return _("Installed package")
        return _("Verified") if plugin.signed else _("Not signed")

    def selected(self) -> PluginInfo | None:
        selection = self.tree.selection()
        return self.plugins.get(selection[0]) if selection else None

    def on_select(self) -> None:
        plugin = self.selected()
        if plugin is None:
            return
        lines = [
            f"{plugin.name} {plugin.version} — {plugin.publisher}",
            _("Host API versions: {versions}").format(
                versions=", ".join(map(str, plugin.api_versions))
            ),
        ]
        if plugin.refused:
            lines.append(_("Refused: {reason}").format(reason=plugin.refused))
        lines.extend(plugin.errors)
        lines.extend(self.notices(plugin))
        self.details.configure(text="\n".join(lines))

    def on_enable(self, enable: bool) -> None:
        plugin = self.selected()
        if plugin is None:
            self.app.notify(_("Choose a plugin first."), "warning")
            return
        action = self.nb.enable_plugin if enable else self.nb.disable_plugin
        try:
            action(plugin.name)
        except Exception as error:  # noqa: BLE001
            self.app.show_error(error)
            return
        self.app.notify(
            (_("Enabled {name}.") if enable else _("Disabled {name}.")).format(name=plugin.name),
            "success",
        )
        self.rebuild_shell()

    def on_install(self, path: str | None = None) -> bool:
        """Install a plugin file; the core verifies its signature against trusted publishers."""
        path = path or ttk.filedialog.askopenfilename(
            parent=self,
            title=_("Install a plugin"),
            filetypes=[(_("Casebook plugin"), "*.py"), ("*", "*")],
        )
        if not path:
            return False
        try:
            info = self.nb.install_plugin(path, allow_unsigned=self.allow_unsigned.get())
        except Exception as error:  # noqa: BLE001 - a refused plugin is a message
            self.app.notify(
                _("Not installed: {error}").format(error=self.app.describe_error(error)), "danger"
            )
            return False
        name = getattr(info, "name", "") or str(path)
        self.app.notify(
            _("Installed {name}. Its signature was verified.").format(name=name)
            if getattr(info, "signed", True)
            else _("Installed {name} WITHOUT a signature.").format(name=name),
            "success" if getattr(info, "signed", True) else "warning",
        )
        self.rebuild_shell()
        return True

    def rebuild_shell(self) -> None:
        """A plugin changed: rebuild the window so its pages and panels appear or go."""
        self.app.rebuild("plugins")
