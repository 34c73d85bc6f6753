"""The report receipt 案(事)件接报回执单 handed to the reporter on the spot (seed 004).

It lives with the callbacks because both are the station's promise to the reporter: the
receipt carries the number to ask about progress and announces the callback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from casebook.clock import parse_datetime
from casebook.i18n import gettext_for
from casebook.pdf import receipt_pdf

_ = gettext_for("casebook-plugins", Path(__file__).resolve().parent.parent / "locale")

CHANNELS = {
    "call_110": "110 call",
    "walk_in": "Walk-in",
    "self_service": "Self-service",
    "patrol": "Patrol",
    "transfer": "Transfer",
}


def receipt_number(case: Any) -> str:
    """The case's receipt number, or one derived from its id (stable on every laptop)."""
    return case.fields.get("receipt_number") or "JB-" + case.id.replace("-", "")[:12].upper()


def when(value: Any) -> str:
    try:
        moment = parse_datetime(value)
    except (TypeError, ValueError):
        return str(value or "")
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""


def receipt_rows(context: Any, case: Any) -> list[tuple[str, Any]]:
    fields = case.fields
    officer = getattr(context, "officer", None) or {}
    channel = fields.get("channel")
    if case.type == "missing_person":
        matter = _("Missing person: {name}, last seen {place}").format(
            name=fields.get("name", ""), place=fields.get("last_seen_place", "")
        )
    else:
        matter = fields.get("summary", case.title)
    return [
        (_("Reporter"), fields.get("reporter_name", "")),
        (_("Reporter's phone"), fields.get("reporter_phone", "")),
        (_("Reported at"), when(fields.get("reported_at") or case.created_at)),
        (_("Channel"), _(CHANNELS[channel]) if channel in CHANNELS else ""),
        (_("Location"), fields.get("location") or fields.get("last_seen_place", "")),
        (_("Matter reported"), matter),
        (_("Receiving officer"), officer.get("name", case.officer_id)),
        (_("Receiving unit"), case.unit or officer.get("unit", "")),
    ]


def render_receipt(context: Any, case: Any, path: str | Path) -> Path:
    """Write the receipt (reporter's part and station stub) for ``case`` to ``path``.

    :raises casebook.errors.InvalidInputError: when no CJK font is installed.
    """
    rows = receipt_rows(context, case)
    number = _("No. {number}").format(number=receipt_number(case))
    return receipt_pdf(
        path,
        title=_("Case/event report receipt"),
        number=number,
        rows=rows,
        statement=_(
            "Your report has been received and recorded. Keep this receipt: with its number "
            "you can ask about the progress of your report. The police will call you back to "
            "ask whether the matter was handled and whether you are satisfied."
        ),
        signatures=[_("Receiving officer"), _("Reporter")],
        stub_title=_("Receipt stub (kept by the station)"),
        stub_rows=[rows[0], rows[2], rows[5], rows[6]],
    )
