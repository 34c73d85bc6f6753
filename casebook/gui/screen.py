"""What every screen of the main window shares: the app, the notebook, and a refresh."""

from __future__ import annotations

import tkinter as tk
from typing import TYPE_CHECKING, Any

import ttkbootstrap as ttk

if TYPE_CHECKING:
    from casebook.notebook import Notebook

    from .context import AppContext


class Screen(ttk.Frame):
    """A page of the main window. Subclasses build in ``create_widgets`` and load data in
    ``refresh``, which the shell calls each time the page is shown."""

    #: the msgid of the page title (translated when shown)
    title = ""

    def __init__(self, master: tk.Misc, app: AppContext, **kwargs: Any) -> None:
        super().__init__(master, padding=10, **kwargs)
        self.app = app
        self.create_widgets()

    @property
    def nb(self) -> Notebook:
        return self.app.nb

    def create_widgets(self) -> None:  # pragma: no cover - every screen overrides it
        raise NotImplementedError

    def refresh(self) -> None:
        """Reload what the screen shows from the notebook."""

    def guarded(self, action, *args: Any, **kwargs: Any) -> Any:
        """Run a notebook call; on an error show it in the notice bar and return None."""
        return self.app.guarded(action, *args, **kwargs)


def make_tree(
    master: tk.Misc,
    columns: list[tuple[str, str, int]],
    *,
    height: int = 12,
    show_tree: bool = False,
) -> tuple[ttk.Frame, ttk.Treeview]:
    """A Treeview with headings and a vertical scrollbar, in its own frame.

    :param columns: (column id, heading text, width) triples.
    """
    frame = ttk.Frame(master)
    tree = ttk.Treeview(
        frame,
        columns=[c[0] for c in columns],
        height=height,
        show="tree headings" if show_tree else "headings",
        selectmode="browse",
    )
    for column, heading, width in columns:
        tree.heading(column, text=heading, anchor="w")
        tree.column(column, width=width, anchor="w", stretch=True)
    if show_tree:
        tree.column("#0", width=40, stretch=False)
    scrollbar = ttk.Scrollbar(frame, orient="vertical", command=tree.yview)
    tree.configure(yscrollcommand=scrollbar.set)
    tree.pack(side="left", fill="both", expand=True)
    scrollbar.pack(side="right", fill="y")
    return frame, tree


def clear_tree(tree: ttk.Treeview) -> None:
    children = tree.get_children()
    if children:
        tree.delete(*children)
