"""The main window after unlock: navigation, notice bar, the current page, the status bar."""

from __future__ import annotations

import tkinter as tk
from typing import TYPE_CHECKING, Any

import ttkbootstrap as ttk

from .plugin_panels import build_panel, panels_for
from .screen import Screen
from .sync_panel import SyncStatusBar
from .text import N_, _

if TYPE_CHECKING:
    from .app import CasebookApp
    from .screens.case_view import CaseView

NOTICE_HIDE_MS = 8000


class NoticeBar(ttk.Frame):
    """One line of feedback above the page: info and success fade, errors stay."""

    def __init__(self, master: tk.Misc) -> None:
        super().__init__(master)
        self.label = ttk.Label(self, text="", wraplength=900, padding=(8, 4))
        self.label.pack(side="left", fill="x", expand=True)
        self.close_button = ttk.Button(self, text="×", width=2, bootstyle="link", command=self.hide)
        self.close_button.pack(side="right")
        self.hide_after: str | None = None
        self.kind = ""

    @property
    def text(self) -> str:
        return str(self.label.cget("text"))

    def show(self, message: str, kind: str = "info") -> None:
        style = {
            "danger": "inverse-danger",
            "success": "inverse-success",
            "warning": "inverse-warning",
        }.get(kind, "inverse-info")
        self.kind = kind
        self.label.configure(text=message, bootstyle=style)
        self.pack(fill="x", side="top", before=self.master.content)
        if self.hide_after:
            self.after_cancel(self.hide_after)
            self.hide_after = None
        if kind in ("info", "success"):
            self.hide_after = self.after(NOTICE_HIDE_MS, self.hide)

    def hide(self) -> None:
        self.hide_after = None
        self.label.configure(text="")
        self.kind = ""
        self.pack_forget()


class MainShell(ttk.Frame):
    """Sidebar of pages on the left, the page on the right, sync status at the bottom."""

    #: (page name, msgid of its title)
    PAGES = [
        ("today", N_("Today")),
        ("cases", N_("Cases")),
        ("review", N_("Review")),
        ("reports", N_("Reports")),
        ("plugins", N_("Plugins")),
        ("settings", N_("Settings")),
    ]

    def __init__(self, master: tk.Misc, app: CasebookApp) -> None:
        super().__init__(master)
        self.app = app
        self.pages: dict[str, tk.Widget] = {}
        self.nav_buttons: dict[str, ttk.Button] = {}
        self.page_name = ""
        self.case_view: CaseView | None = None
        self.dialogs: list[tk.Toplevel] = []
        self.plugin_pages = panels_for(app.nb, "main")
        self.create_status_bar()
        self.create_sidebar()
        self.create_body()
        self.bind_shortcuts()

    # -- building -------------------------------------------------------------------------

    def create_sidebar(self) -> None:
        self.sidebar = ttk.Frame(self, padding=(8, 10), bootstyle="secondary")
        self.sidebar.pack(side="left", fill="y")
        ttk.Label(
            self.sidebar,
            text=_("Casebook"),
            font=("TkHeadingFont", 14, "bold"),
            bootstyle="inverse-secondary",
        ).pack(anchor="w", pady=(0, 10))
        ttk.Button(
            self.sidebar,
            text=_("New case") + "  Ctrl+N",
            bootstyle="success",
            command=self.on_new_case,
        ).pack(fill="x", pady=(0, 12))
        pages = [*self.PAGES, *[(f"plugin:{spec.name}", spec.title) for spec in self.plugin_pages]]
        for name, title in pages:
            button = ttk.Button(
                self.sidebar,
                text=_(title),
                bootstyle="secondary",
                command=lambda n=name: self.show_page(n),
            )
            button.pack(fill="x", pady=1)
            self.nav_buttons[name] = button
        ttk.Button(
            self.sidebar, text=_("Lock"), bootstyle="warning-outline", command=self.on_lock
        ).pack(side="bottom", fill="x", pady=(10, 0))
        officer = self.app.officer_text()
        ttk.Label(self.sidebar, text=officer, bootstyle="inverse-secondary", wraplength=150).pack(
            side="bottom", anchor="w"
        )

    def create_body(self) -> None:
        self.body = ttk.Frame(self)
        self.body.pack(side="left", fill="both", expand=True)
        self.body.content = ttk.Frame(self.body)  # type: ignore[attr-defined]
        self.notice = NoticeBar(self.body)
        self.body.content.pack(fill="both", expand=True)  # type: ignore[attr-defined]
        self.content = self.body.content  # type: ignore[attr-defined]

    def create_status_bar(self) -> None:
        self.status_bar = SyncStatusBar(self, self.app)
        self.status_bar.pack(side="bottom", fill="x")
        ttk.Separator(self).pack(side="bottom", fill="x")

    def bind_shortcuts(self) -> None:
        root = self.app.root
        for sequence, handler in (
            ("<Control-n>", self.on_new_case),
            ("<Control-N>", self.on_new_case),
            ("<Control-f>", self.on_find),
            ("<Control-F>", self.on_find),
            ("<Control-s>", self.on_save),
            ("<Control-S>", self.on_save),
            ("<F5>", self.on_sync),
        ):
            root.bind(sequence, lambda event, h=handler: (h(), "break")[1])

    SHORTCUTS = (
        "<Control-n>",
        "<Control-N>",
        "<Control-f>",
        "<Control-F>",
        "<Control-s>",
        "<Control-S>",
        "<F5>",
    )

    def destroy(self) -> None:
        # The shortcuts live on the root, which outlives this shell (lock, language switch).
        for sequence in self.SHORTCUTS:
            try:
                self.app.root.unbind(sequence)
            except tk.TclError:
                pass
        self.close_dialogs()
        super().destroy()

    # -- pages ------------------------------------------------------------------------------

    def create_page(self, name: str) -> tk.Widget:
        from .screens.case_list import CaseListScreen
        from .screens.plugins import PluginsScreen
        from .screens.reports import ReportsScreen
        from .screens.review import ReviewScreen
        from .screens.settings import SettingsScreen
        from .screens.today import TodayScreen

        classes: dict[str, type[Screen]] = {
            "today": TodayScreen,
            "cases": CaseListScreen,
            "review": ReviewScreen,
            "reports": ReportsScreen,
            "plugins": PluginsScreen,
            "settings": SettingsScreen,
        }
        if name in classes:
            return classes[name](self.content, self.app)
        spec = next(s for s in self.plugin_pages if f"plugin:{s.name}" == name)
        return build_panel(self.content, spec, notebook=self.app.nb)

    def hide_current(self) -> None:
        if self.case_view is not None:
            self.case_view.destroy()
            self.case_view = None
        for page in self.pages.values():
            page.pack_forget()

    def show_page(self, name: str) -> tk.Widget:
        """Show a page (building it the first time) and refresh it."""
        self.hide_current()
        if name not in self.pages:
            self.pages[name] = self.create_page(name)
        page = self.pages[name]
        page.pack(fill="both", expand=True)
        self.page_name = name
        self.highlight(name)
        if isinstance(page, Screen):
            self.app.guarded(page.refresh)
        return page

    def highlight(self, name: str) -> None:
        for page_name, button in self.nav_buttons.items():
            button.configure(bootstyle="primary" if page_name == name else "secondary")

    def page(self, name: str) -> Any:
        """The page object (built if needed, not shown)."""
        if name not in self.pages:
            self.pages[name] = self.create_page(name)
        return self.pages[name]

    def open_case(self, case_id: str | None = None, *, case_type: str | None = None) -> CaseView:
        """Show a case (or a new one of ``case_type`` when ``case_id`` is None)."""
        from .screens.case_view import CaseView

        self.hide_current()
        self.case_view = CaseView(self.content, self.app, case_id=case_id, case_type=case_type)
        self.case_view.pack(fill="both", expand=True)
        self.page_name = "case"
        self.highlight("cases")
        return self.case_view

    def refresh_page(self) -> None:
        page = self.pages.get(self.page_name)
        if isinstance(page, Screen):
            self.app.guarded(page.refresh)
        elif self.case_view is not None:
            self.app.guarded(self.case_view.reload)

    # -- dialogs ------------------------------------------------------------------------

    def track_dialog(self, dialog: tk.Toplevel) -> None:
        self.dialogs = [d for d in self.dialogs if d.winfo_exists()]
        self.dialogs.append(dialog)

    def close_dialogs(self) -> None:
        for dialog in self.dialogs:
            try:
                dialog.destroy()
            except tk.TclError:
                pass
        self.dialogs = []

    # -- handlers -------------------------------------------------------------------------

    def on_new_case(self) -> None:
        self.open_case(None)

    def on_find(self) -> None:
        page = self.show_page("cases")
        page.focus_search()

    def on_save(self) -> None:
        if self.case_view is not None:
            self.case_view.on_save()

    def on_sync(self) -> None:
        self.status_bar.on_sync_now()

    def on_lock(self) -> None:
        self.app.lock()
