"""One case: the generated form, the timeline, attachments, documents, plugin tabs.

A new case is the same view with no id yet: the first save creates it.
"""

from __future__ import annotations

import io
import json
import logging
import tkinter as tk
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ttkbootstrap as ttk

from casebook.errors import InvalidInputError
from casebook.models import Case

from ..desktop import open_with_system
from ..plugin_panels import build_panel, panels_for
from ..schema_form import SchemaForm
from ..screen import clear_tree, make_tree
from ..text import (
    STATUSES,
    _,
    format_data,
    format_when,
    kind_label,
    officer_label,
    status_label,
    type_label,
)

if TYPE_CHECKING:
    from ..context import AppContext

log = logging.getLogger(__name__)

ENTRY_KINDS = ["note", "action", "ledger"]
#: bookkeeping the core stores with a task's outcome; the task's title says it better
HIDDEN_ENTRY_DATA = {"task_id", "task_key"}
PREVIEW_SIZE = (520, 360)


def op_time(op: dict[str, Any]) -> str:
    """When an op was written, as the officer reads it (from its HLC timestamp)."""
    from casebook.clock import hlc_datetime

    return format_when(hlc_datetime(op["hlc"])) if op.get("hlc") else ""


def moment(when: str | None) -> float:
    """An ISO time as a number to sort by (0 when it does not parse)."""
    from casebook.clock import parse_datetime

    try:
        parsed = parse_datetime(when)
    except (TypeError, ValueError):
        return 0.0
    return parsed.timestamp() if parsed else 0.0


def op_moment(op: dict[str, Any]) -> float:
    from casebook.clock import hlc_datetime

    return hlc_datetime(op["hlc"]).timestamp() if op.get("hlc") else 0.0


def human_size(size: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return str(size)


class CaseView(ttk.Frame):
    """A case, or a new case of a type the officer chooses."""

    def __init__(
        self,
        master: tk.Misc,
        app: AppContext,
        *,
        case_id: str | None = None,
        case_type: str | None = None,
    ) -> None:
        super().__init__(master, padding=10)
        self.app = app
        self.nb = app.nb
        self.case_id = case_id
        self.case: Case | None = None
        self.schemas: dict[str, dict[str, Any]] = app.guarded(self.nb.case_types) or {}
        self.glossary = app.vocabulary()
        self.case_type = case_type or (next(iter(self.schemas), None))
        self.preview_image: Any = None
        self.attachment_ids: list[str] = []
        self.form: SchemaForm | None = None
        #: The open question about a possible duplicate, if any (its dialog).
        self.confirm_dialog: Any = None
        self.history: list[dict[str, Any]] | None = None
        if case_id:
            self.case = app.guarded(self.nb.get_case, case_id)
            if self.case is not None:
                self.case_type = self.case.type
        self.create_widgets()

    # -- building -------------------------------------------------------------------------

    def create_widgets(self) -> None:
        for child in self.winfo_children():
            child.destroy()
        self.create_header()
        self.tabs = ttk.Notebook(self)
        self.tabs.pack(fill="both", expand=True, pady=(8, 0))
        self.create_details_tab()
        if self.case is not None:
            self.create_timeline_tab()
            self.create_attachments_tab()
            self.create_history_tab()
            self.create_plugin_tabs()

    def schema(self) -> dict[str, Any]:
        return self.schemas.get(self.case_type or "", {})

    def create_header(self) -> None:
        header = ttk.Frame(self)
        header.pack(fill="x")
        ttk.Button(
            header,
            text="‹ " + _("Cases"),
            bootstyle="link",
            command=lambda: self.app.show_page("cases"),
        ).pack(side="left")
        if self.case is None:
            ttk.Label(header, text=_("New case"), font=("TkHeadingFont", 16, "bold")).pack(
                side="left", padx=8
            )
            ttk.Label(header, text=_("Type")).pack(side="left", padx=(16, 4))
            self.type_names = list(self.schemas)
            self.type_box = ttk.Combobox(
                header,
                state="readonly",
                width=18,
                values=[type_label(t, self.schemas[t]) for t in self.type_names],
            )
            self.type_box.pack(side="left")
            if self.case_type in self.type_names:
                self.type_box.current(self.type_names.index(self.case_type))
            self.type_box.bind("<<ComboboxSelected>>", lambda _event: self.on_type_chosen())
        else:
            case = self.case
            ttk.Label(
                header, text=case.title or _("(untitled)"), font=("TkHeadingFont", 16, "bold")
            ).pack(side="left", padx=8)
            ttk.Label(
                header,
                text=f"{type_label(case.type, self.schema())} · "
                f"{status_label(case.status)} · {case.id}",
                bootstyle="secondary",
            ).pack(side="left")
        self.save_button = ttk.Button(
            header, text=_("Save") + " (Ctrl+S)", bootstyle="success", command=self.on_save
        )
        self.save_button.pack(side="right")
        if self.case is not None:
            self.create_status_bar()
            self.create_document_buttons(header)
            warnings = []
            if self.case.conflicts:
                warnings.append(
                    _("This case has {count} conflicting fields.").format(
                        count=len(self.case.conflicts)
                    )
                )
            warnings.extend(_(flag) for flag in self.case.flags)
            if warnings:
                bar = ttk.Frame(self, padding=(0, 4))
                bar.pack(fill="x")
                ttk.Label(
                    bar, text=" ".join(warnings), bootstyle="inverse-warning", padding=(8, 3)
                ).pack(side="left")
                if self.case.conflicts:
                    ttk.Button(
                        bar,
                        text=_("Resolve conflicts…"),
                        bootstyle="warning",
                        command=self.on_resolve_conflicts,
                    ).pack(side="left", padx=6)

    def create_status_bar(self) -> None:
        bar = ttk.Frame(self, padding=(0, 6))
        bar.pack(fill="x")
        ttk.Label(bar, text=_("Status")).pack(side="left")
        self.status_box = ttk.Combobox(
            bar, state="readonly", width=12, values=[status_label(s) for s in STATUSES]
        )
        if self.case and self.case.status in STATUSES:
            self.status_box.current(STATUSES.index(self.case.status))
        self.status_box.pack(side="left", padx=4)
        ttk.Label(bar, text=_("Reason")).pack(side="left", padx=(8, 4))
        self.status_reason = tk.StringVar(self)
        ttk.Entry(bar, textvariable=self.status_reason, width=30).pack(side="left")
        ttk.Button(
            bar, text=_("Change status"), bootstyle="secondary", command=self.on_set_status
        ).pack(side="left", padx=6)
        self.create_handover_bar()

    def create_handover_bar(self) -> None:
        """Who is responsible for the case, and the duty leader's handover to another
        officer of the station roster (recorded as an op, shown in the timeline)."""
        bar = ttk.Frame(self, padding=(0, 0, 0, 6))
        bar.pack(fill="x")
        self.names = self.app.guarded(self.nb.officer_names) or {}
        responsible = self.case.responsible_officer_id if self.case else ""
        ttk.Label(bar, text=_("Responsible officer")).pack(side="left")
        ttk.Label(bar, text=officer_label(self.names, responsible), bootstyle="primary").pack(
            side="left", padx=(4, 12)
        )
        ttk.Label(bar, text=_("Hand over to")).pack(side="left")
        self.handover_ids = [o for o in sorted(self.names) if o != responsible]
        self.handover_box = ttk.Combobox(
            bar,
            state="readonly",
            width=16,
            values=[officer_label(self.names, o) for o in self.handover_ids],
        )
        self.handover_box.pack(side="left", padx=4)
        ttk.Label(bar, text=_("Note")).pack(side="left", padx=(8, 4))
        self.handover_note = tk.StringVar(self)
        ttk.Entry(bar, textvariable=self.handover_note, width=30).pack(side="left")
        ttk.Button(bar, text=_("Hand over"), bootstyle="secondary", command=self.on_hand_over).pack(
            side="left", padx=6
        )

    def create_document_buttons(self, header: ttk.Frame) -> None:
        documents = self.app.guarded(self.nb.documents, self.case_id) or []
        self.documents = documents
        if not documents:
            return
        button = ttk.Menubutton(header, text=_("Print"), bootstyle="secondary")
        menu = self.document_menu = tk.Menu(button, tearoff=False)
        for spec in documents:
            menu.add_command(
                label=spec.title, command=lambda name=spec.name: self.on_render_document(name)
            )
        button.configure(menu=menu)
        button.pack(side="right", padx=8)

    def create_details_tab(self) -> None:
        outer = ttk.Frame(self.tabs, padding=8)
        self.tabs.add(outer, text=_("Details"))
        self.details = ttk.ScrolledFrame(outer, auto_hide=True)
        self.details.pack(fill="both", expand=True)
        self.build_form()

    def build_form(self) -> None:
        if self.form is not None:
            self.form.destroy()
        if not self.schema():
            self.form = None
            ttk.Label(
                self.details,
                text=_("No case types are available: check the plugins."),
                bootstyle="danger",
            ).pack(anchor="w")
            return
        values = self.case.fields if self.case is not None else {}
        self.form = SchemaForm(self.details, self.schema(), values, glossary=self.glossary)
        self.form.pack(fill="both", expand=True, padx=(0, 16))

    def create_timeline_tab(self) -> None:
        tab = ttk.Frame(self.tabs, padding=8)
        self.tabs.add(tab, text=_("Timeline"))
        frame, self.timeline = make_tree(
            tab,
            [
                ("when", _("Time"), 130),
                ("kind", _("Kind"), 90),
                ("author", _("Author"), 100),
                ("text", _("Text"), 520),
                ("mark", "", 60),
            ],
            height=12,
        )
        frame.pack(fill="both", expand=True)
        self.timeline.tag_configure("deleted", foreground="#999999")
        self.timeline.tag_configure("flagged", foreground="#c0392b")
        self.timeline.tag_configure("op", foreground="#2c6fbb")
        add = ttk.Labelframe(tab, text=_("Add to the timeline"), padding=8)
        add.pack(fill="x", pady=(8, 0))
        self.entry_kind = ttk.Combobox(
            add, state="readonly", width=10, values=[kind_label(k) for k in ENTRY_KINDS]
        )
        self.entry_kind.current(0)
        self.entry_kind.pack(side="left", anchor="n")
        self.entry_text = ttk.Text(add, height=3, width=60, wrap="word")
        self.entry_text.pack(side="left", fill="x", expand=True, padx=6)
        ttk.Button(add, text=_("Add"), bootstyle="primary", command=self.on_add_entry).pack(
            side="left", anchor="n"
        )
        self.fill_timeline()

    def fill_timeline(self) -> None:
        """Entries, plus the review results of the audit trail, by time."""
        clear_tree(self.timeline)
        if self.case is None:
            return
        rows: list[tuple[float, str, tuple[str, ...], tuple[str, ...]]] = []
        names = getattr(self, "names", None) or self.app.guarded(self.nb.officer_names) or {}
        for entry in self.case.entries:
            data = {
                k: v
                for k, v in entry.data.items()
                if k not in HIDDEN_ENTRY_DATA and v != entry.text
            }
            text = entry.text
            if entry.kind == "handover":
                handed = "{} → {}".format(
                    officer_label(names, str(entry.data.get("from", ""))),
                    officer_label(names, str(entry.data.get("to", ""))),
                )
                text = f"{handed}: {text}" if text else handed
            elif data:
                details = format_data(data, self.glossary)
                text = f"{text}  [{details}]" if text else details
            marks = []
            if entry.version > 1:
                marks.append(_("edited"))
            if entry.deleted:
                marks.append(_("deleted"))
            if entry.flagged:
                marks.append(_("flagged"))
            tags = ("deleted",) if entry.deleted else ("flagged",) if entry.flagged else ()
            rows.append(
                (
                    moment(entry.created_at),
                    entry.id,
                    tags,
                    (
                        format_when(entry.created_at),
                        kind_label(entry.kind, self.glossary),
                        officer_label(names, entry.author),
                        text.replace("\n", " "),
                        " ".join(marks),
                    ),
                )
            )
        for index, op in enumerate(self.history_ops()):
            row = self.timeline_row_of(op)
            if row is not None:
                rows.append((op_moment(op), f"op{index}", ("op",), row))
        for _when, iid, tags, values in sorted(rows, key=lambda r: r[0]):
            self.timeline.insert("", "end", iid=iid, tags=tags, values=values)

    def history_ops(self) -> list[dict[str, Any]]:
        if self.history is None:
            self.history = self.app.guarded(self.nb.history, self.case_id) or []
        return self.history

    def timeline_row_of(self, op: dict[str, Any]) -> tuple[str, ...] | None:
        """A review result as a timeline row (None for other ops: status changes and
        outcomes are entries already)."""
        payload = op.get("payload") or {}
        when = op_time(op)
        if op.get("kind") == "review.record":
            findings = payload.get("findings") or []
            text = _("Score {score}").format(score=payload.get("score", ""))
            if findings:
                text += ": " + "; ".join(
                    str(f.get("message", f.get("rule", "")))
                    for f in findings
                    if isinstance(f, dict)
                )
            return (when, kind_label("review"), str(op.get("officer_id", "")), text, "")
        return None

    def create_attachments_tab(self) -> None:
        tab = ttk.Frame(self.tabs, padding=8)
        self.tabs.add(tab, text=_("Attachments"))
        left = ttk.Frame(tab)
        left.pack(side="left", fill="both", expand=True)
        frame, self.attachment_tree = make_tree(
            left,
            [
                ("name", _("Name"), 220),
                ("size", _("Size"), 70),
                ("added", _("Added"), 130),
                ("author", _("Author"), 80),
            ],
            height=10,
        )
        frame.pack(fill="both", expand=True)
        self.attachment_tree.bind("<<TreeviewSelect>>", lambda _event: self.on_preview())
        buttons = ttk.Frame(left)
        buttons.pack(fill="x", pady=(6, 0))
        ttk.Button(
            buttons, text=_("Add file…"), bootstyle="primary", command=self.on_add_attachment
        ).pack(side="left")
        ttk.Button(
            buttons, text=_("Export…"), bootstyle="secondary", command=self.on_export_attachment
        ).pack(side="left", padx=6)
        self.preview = ttk.Label(
            tab,
            text=_("Select an image to preview it."),
            bootstyle="secondary",
            anchor="center",
            wraplength=400,
        )
        self.preview.pack(side="left", fill="both", expand=True, padx=(10, 0))
        self.fill_attachments()

    def fill_attachments(self) -> None:
        clear_tree(self.attachment_tree)
        if self.case is None:
            return
        for attachment in self.case.attachments:
            name = (
                attachment.name
                if attachment.available
                else (attachment.name + " " + _("(not on this laptop yet)"))
            )
            self.attachment_tree.insert(
                "",
                "end",
                iid=attachment.id,
                values=(
                    name,
                    human_size(attachment.size),
                    format_when(attachment.added_at),
                    attachment.author,
                ),
            )

    def create_history_tab(self) -> None:
        tab = ttk.Frame(self.tabs, padding=8)
        self.tabs.add(tab, text=_("Audit trail"))
        frame, self.history_tree = make_tree(
            tab,
            [
                ("when", _("Time"), 130),
                ("officer", _("Officer"), 80),
                ("device", _("Device"), 100),
                ("kind", _("Operation"), 120),
                ("payload", _("Change"), 500),
            ],
            height=14,
        )
        frame.pack(fill="both", expand=True)
        self.history_loaded = False
        self.tabs.bind("<<NotebookTabChanged>>", lambda _event: self.on_tab_changed(), add="+")

    def on_tab_changed(self) -> None:
        # The trail can be long: read it only when the officer looks at it.
        try:
            current = self.tabs.tab(self.tabs.select(), "text")
        except tk.TclError:
            return
        if current == _("Audit trail") and not self.history_loaded:
            self.history_loaded = True
            self.fill_history()

    def fill_history(self) -> None:
        clear_tree(self.history_tree)
        for index, op in enumerate(self.history_ops()):
            payload = json.dumps(op.get("payload", {}), ensure_ascii=False)
            self.history_tree.insert(
                "",
                "end",
                iid=str(index),
                values=(
                    op_time(op),
                    str(op.get("officer_id", "")),
                    str(op.get("device_id", ""))[:12],
                    op.get("kind", ""),
                    payload[:300],
                ),
            )

    def create_plugin_tabs(self) -> None:
        for spec in panels_for(self.nb, "case", self.case_type):
            holder = ttk.Frame(self.tabs, padding=8)
            self.tabs.add(holder, text=spec.title)
            panel = build_panel(holder, spec, notebook=self.nb, case=self.case)
            panel.pack(fill="both", expand=True)

    # -- loading --------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the case again and rebuild the view (after a save, sync or resolution)."""
        if self.case_id is None:
            return
        selected = self.tabs.index(self.tabs.select()) if self.tabs.tabs() else 0
        case = self.app.guarded(self.nb.get_case, self.case_id)
        if case is None:
            return
        self.case = case
        self.case_type = case.type
        self.form = None
        self.history = None
        self.create_widgets()
        if selected < len(self.tabs.tabs()):
            self.tabs.select(selected)

    # -- handlers -------------------------------------------------------------------------

    def on_type_chosen(self) -> None:
        index = self.type_box.current()
        if index >= 0:
            self.case_type = self.type_names[index]
            self.build_form()

    def on_save(self) -> bool:
        """Validate with the core, then create or update. Returns True when saved."""
        if self.form is None or self.case_type is None:
            return False
        self.form.clear_problems()
        if self.case is None:
            fields = self.form.get_values()
        else:
            fields = self.form.changed_values()
            if not fields:
                self.app.notify(_("Nothing to save: no field changed."), "info")
                return False
        try:
            problems = self.nb.validate_fields(
                self.case_type,
                self.form.merged_values(),
                case_id=self.case.id if self.case is not None else None,
            )
        except Exception as error:  # noqa: BLE001
            self.app.show_error(error)
            return False
        if problems and all(problem.confirm for problem in problems):
            # A possible second file for the same person: saved only once confirmed.
            from ..confirm_dialog import ConfirmDialog

            self.confirm_dialog = ConfirmDialog(
                self.app, problems, lambda: self.save_fields(fields, confirm=True)
            )
            return False
        if problems:
            self.form.show_problems(problems)
            self.app.notify(
                _("Not saved: {count} problems to correct.").format(
                    count=len({(p.field, p.message) for p in problems})
                ),
                "danger",
            )
            return False
        return self.save_fields(fields)

    def save_fields(self, fields: dict[str, Any], confirm: bool = False) -> bool:
        """Create or update the case with ``fields``; ``confirm`` settles the problems that
        the officer confirmed (:class:`~casebook.gui.confirm_dialog.ConfirmDialog`)."""
        try:
            if self.case is None:
                case = self.nb.create_case(self.case_type, fields, confirm=confirm)
            else:
                case = self.nb.update_case(self.case.id, fields, confirm=confirm)
        except InvalidInputError as error:
            self.form.show_problems(error.problems or [])
            self.app.show_error(error)
            return False
        except Exception as error:  # noqa: BLE001
            self.app.show_error(error)
            return False
        created = self.case is None
        self.case_id = case.id
        self.app.notify(_("Case created.") if created else _("Case saved."), "success")
        self.app.changed()
        self.reload()
        return True

    def on_set_status(self) -> None:
        index = self.status_box.current()
        if index < 0 or self.case is None:
            return
        reason = self.status_reason.get().strip() or None
        if self.app.guarded(self.nb.set_status, self.case.id, STATUSES[index], reason):
            self.app.notify(
                _("Status changed to {status}.").format(status=status_label(STATUSES[index])),
                "success",
            )
            self.app.changed()
            self.reload()

    def on_hand_over(self, officer_id: str | None = None) -> bool:
        """Hand the case over to the chosen officer (or ``officer_id``), with the note."""
        if self.case is None:
            return False
        if officer_id is None:
            index = self.handover_box.current()
            if index < 0:
                self.app.notify(_("Choose the officer who takes the case over."), "warning")
                return False
            officer_id = self.handover_ids[index]
        note = self.handover_note.get().strip() or None
        if not self.app.guarded(self.nb.assign_case, self.case.id, officer_id, note):
            return False
        self.app.notify(
            _("Handed over to {officer}.").format(officer=officer_label(self.names, officer_id)),
            "success",
        )
        self.app.changed()
        self.reload()
        return True

    def on_add_entry(self) -> None:
        text = self.entry_text.get("1.0", "end-1c").strip()
        if not text or self.case is None:
            self.app.notify(_("Write something first."), "warning")
            return
        kind = ENTRY_KINDS[max(0, self.entry_kind.current())]
        if self.app.guarded(self.nb.add_entry, self.case.id, kind, text):
            self.entry_text.delete("1.0", "end")
            self.app.changed()
            self.reload()

    def on_resolve_conflicts(self) -> None:
        from ..conflict_dialog import ConflictDialog

        ConflictDialog.open(self.app, self.case_id)

    def selected_attachment(self) -> str | None:
        selection = self.attachment_tree.selection()
        return selection[0] if selection else None

    def on_add_attachment(self, path: str | None = None) -> None:
        if self.case is None:
            return
        path = path or ttk.filedialog.askopenfilename(parent=self, title=_("Add a file"))
        if not path:
            return
        if self.app.guarded(self.nb.attach, self.case.id, path):
            self.app.notify(
                _("File added, encrypted: {name}").format(name=Path(path).name), "success"
            )
            self.app.changed()
            self.reload()

    def on_export_attachment(self, destination: str | None = None) -> None:
        attachment_id = self.selected_attachment()
        if attachment_id is None or self.case is None:
            self.app.notify(_("Choose a file first."), "warning")
            return
        attachment = next(a for a in self.case.attachments if a.id == attachment_id)
        destination = destination or ttk.filedialog.asksaveasfilename(
            parent=self, title=_("Export the file"), initialfile=attachment.name
        )
        if not destination:
            return
        result = self.app.guarded(self.nb.export_attachment, attachment_id, destination)
        if result:
            self.app.notify(_("Exported to {path}").format(path=result), "success")

    def on_preview(self) -> None:
        """Show the image; a corrupt or missing file is a message in its place."""
        attachment_id = self.selected_attachment()
        if attachment_id is None or self.case is None:
            return
        attachment = next((a for a in self.case.attachments if a.id == attachment_id), None)
        if attachment is None:
            return
        self.preview_image = None
        if not attachment.media_type.startswith("image/"):
            self.preview.configure(image="", text=_("No preview for this kind of file."))
            return
        try:
            from PIL import Image, ImageTk

            data = self.nb.read_attachment(attachment_id)
            with Image.open(io.BytesIO(data)) as image:
                image.thumbnail(PREVIEW_SIZE)
                self.preview_image = ImageTk.PhotoImage(image.copy(), master=self)
        except Exception as error:  # noqa: BLE001 - a bad file is shown as a message
            log.warning("preview of %s failed: %s", attachment_id, error)
            self.preview.configure(
                image="",
                text=_("This file cannot be shown: {error}").format(
                    error=self.app.describe_error(error)
                ),
                bootstyle="danger",
            )
            return
        self.preview.configure(image=self.preview_image, text="")

    def on_render_document(self, name: str, path: str | None = None) -> bool:
        """Write the document as a PDF; when the officer chose the file, open it to print."""
        if self.case is None:
            return False
        spec = next((d for d in self.documents if d.name == name), None)
        title = spec.title if spec else name
        chosen = path is None
        path = path or ttk.filedialog.asksaveasfilename(
            parent=self,
            title=_("Save the document"),
            defaultextension=".pdf",
            initialfile=f"{title}-{self.case.id[-8:]}.pdf",
            filetypes=[("PDF", "*.pdf")],
        )
        if not path:
            return False
        try:
            self.nb.render_document(name, self.case.id, path)
        except Exception as error:  # noqa: BLE001 - e.g. no CJK font: the core says so
            self.app.show_error(error)
            return False
        self.app.notify(
            _("Saved {title} to {path}: open it to print.").format(title=title, path=path),
            "success",
        )
        # Printing may have recorded something (a receipt issued): show it, unless the
        # officer has edits of the form not saved yet.
        self.app.changed()
        if self.form is None or not self.form.changed_values():
            self.reload()
        if chosen:
            open_with_system(path)
        return True
