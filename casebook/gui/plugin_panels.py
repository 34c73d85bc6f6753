"""Panels that plugins add (``register_gui_panels``), imported lazily and guarded.

A :class:`~casebook.models.PanelSpec` names its class as ``"package.module:ClassName"``.
The class is built as ``Class(master, notebook=nb)`` for a main page and
``Class(master, notebook=nb, case=case)`` for a case tab. A panel that fails to import or
to build shows its error in its place; the window goes on.
"""

from __future__ import annotations

import importlib
import logging
import tkinter as tk
from typing import Any

import ttkbootstrap as ttk

from casebook.models import PanelSpec

from .text import _

log = logging.getLogger(__name__)


def load_panel_class(factory: str) -> Any:
    """Import ``"module:Class"``; raises ImportError/AttributeError/ValueError."""
    module_name, _sep, attribute = factory.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"not a 'module:Class' path: {factory!r}")
    target: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        target = getattr(target, part)
    return target


def error_panel(master: tk.Misc, spec: PanelSpec, error: BaseException) -> ttk.Frame:
    frame = ttk.Frame(master, padding=20)
    message = _("The panel “{title}” of plugin {plugin} could not be shown: {error}").format(
        title=spec.title, plugin=spec.plugin or "?", error=f"{type(error).__name__}: {error}"
    )
    ttk.Label(frame, text=message, bootstyle="danger", wraplength=700).pack(anchor="w")
    return frame


def build_panel(master: tk.Misc, spec: PanelSpec, **arguments: Any) -> tk.Widget:
    """The plugin's panel, or a frame that explains why it is not there."""
    try:
        panel_class = load_panel_class(spec.factory)
        panel = panel_class(master, **arguments)
        if not isinstance(panel, tk.Widget):
            raise TypeError(_("the panel is not a Tk widget"))
        return panel
    except Exception as error:  # noqa: BLE001 - a plugin must never take the window down
        log.exception("plugin panel %s failed", spec.name)
        return error_panel(master, spec, error)


def panels_for(notebook: Any, where: str, case_type: str | None = None) -> list[PanelSpec]:
    """The plugins' panels for one place; an error in ``gui_panels`` gives none."""
    try:
        specs = notebook.gui_panels()
    except Exception:  # noqa: BLE001
        log.exception("gui_panels failed")
        return []
    chosen = []
    for spec in specs:
        if spec.where != where:
            continue
        if case_type and spec.case_types and case_type not in spec.case_types:
            continue
        chosen.append(spec)
    return chosen
