"""Record a task's outcome in one step (a callback: reached, satisfaction, comment).

The form comes from the task's ``outcome_schema``; ``nb.complete_task`` validates it and
records the entry on the case.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ttkbootstrap as ttk

from casebook.errors import InvalidInputError
from casebook.models import Task

from .dialog import Dialog
from .schema_form import SchemaForm
from .text import _, format_when, kind_label

if TYPE_CHECKING:
    from .context import AppContext

#: a task without an outcome schema still gets a note of what was done
COMMENT_ONLY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"comment": {"type": "string", "format": "textarea"}},
}


class OutcomeDialog(Dialog):
    """The outcome form of one task; ``on_done(entry)`` runs after it is recorded."""

    def __init__(
        self, app: AppContext, task: Task, on_done: Callable[[Any], None] | None = None
    ) -> None:
        super().__init__(app, _("Record outcome"), size=(620, 480))
        self.task = task
        self.on_done = on_done
        glossary = app.vocabulary()
        heading = f"{kind_label(task.kind, glossary)} — {task.title or task.case_title}"
        ttk.Label(self.body, text=heading, font=("TkHeadingFont", 12, "bold"), wraplength=580).pack(
            anchor="w"
        )
        ttk.Label(
            self.body,
            text=_("Case: {case}   Due: {due}").format(
                case=task.case_title or task.case_id, due=format_when(task.due_at)
            ),
            bootstyle="secondary",
        ).pack(anchor="w", pady=(0, 10))
        self.form = SchemaForm(
            self.body, task.outcome_schema or COMMENT_ONLY_SCHEMA, glossary=glossary
        )
        self.form.pack(fill="both", expand=True)
        self.save_button = self.action_buttons(_("Record"), self.on_save, bootstyle="success")

    def on_save(self) -> bool:
        outcome = self.form.get_values()
        try:
            entry = self.app.nb.complete_task(self.task.id, outcome)
        except InvalidInputError as error:
            if error.problems:
                self.form.show_problems(error.problems)
            self.show_message(str(error))
            return False
        except Exception as error:  # noqa: BLE001
            self.show_message(self.app.describe_error(error))
            return False
        self.app.notify(_("Outcome recorded."), "success")
        self.app.changed()
        self.destroy()
        if self.on_done:
            self.on_done(entry)
        return True
