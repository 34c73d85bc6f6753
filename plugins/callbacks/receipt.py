"""The report receipt 案(事)件接报回执单 handed to the reporter on the spot (seed 004).

It lives with the callbacks because both are the station's promise to the reporter: the
receipt carries the number (as text and as a QR code) to ask about progress and announces
the callback. The issuing unit signs it off with its seal and the date; its phone comes
from the station settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from casebook import EntrySpec, IssuedDocument
from casebook.clock import parse_datetime
from casebook.i18n import gettext_for, language
from casebook.pdf import long_date, mask_id_number, receipt_pdf

_ = gettext_for("casebook-plugins", Path(__file__).resolve().parent.parent / "locale")

#: The station setting that holds the unit's phone (declared by the station plugin).
UNIT_PHONE = "station.phone"


def receipt_number(case: Any) -> str:
    """The case's receipt number, or one derived from its id (stable on every laptop)."""
    return case.fields.get("receipt_number") or "JB-" + case.id.replace("-", "")[:12].upper()


def when(value: Any) -> str:
    try:
        moment = parse_datetime(value)
    except (TypeError, ValueError):
        return str(value or "")
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else ""


def reported_moment(case: Any) -> Any:
    """When the report was received: ``reported_at``, else when the case was recorded."""
    for value in (case.fields.get("reported_at"), case.created_at):
        try:
            moment = parse_datetime(value)
        except (TypeError, ValueError):
            continue
        if moment is not None:
            return moment
    return None


def choice_label(context: Any, case: Any, field: str) -> str:
    """The label of a coded field (the channel 报警方式) in the user's language, from the
    case type's own ``x-enum-labels``; the code itself when the type has no label for it."""
    code = case.fields.get(field)
    if code in (None, ""):
        return ""
    schema = context.case_types().get(case.type) or {}
    labels = schema.get("x-enum-labels") or {}
    for lang in (language(), "en"):
        label = ((labels.get(lang) or {}).get(field) or {}).get(code)
        if label:
            return label
    return str(code)


def receipt_rows(context: Any, case: Any) -> list[tuple[str, Any]]:
    fields = case.fields
    officer = getattr(context, "officer", None) or {}
    if case.type == "missing_person":
        matter = _("Missing person: {name}, last seen {place}").format(
            name=fields.get("name", ""), place=fields.get("last_seen_place", "")
        )
    else:
        matter = fields.get("summary", case.title)
    return [
        (_("Reporter"), fields.get("reporter_name", "")),
        (_("Reporter's ID number"), mask_id_number(fields.get("reporter_id_number"))),
        (_("Reporter's phone"), fields.get("reporter_phone", "")),
        (_("Reported at"), when(fields.get("reported_at") or case.created_at)),
        (_("Channel"), choice_label(context, case, "channel")),
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
    number = receipt_number(case)
    unit = case.unit or (getattr(context, "officer", None) or {}).get("unit", "")
    phone = str(context.setting(UNIT_PHONE) or "").strip()
    moment = reported_moment(case)
    contact = (
        _("To ask about the progress, call {unit} on {phone} and give the receipt number.")
        if phone
        else _("To ask about the progress, contact {unit} and give the receipt number.")
    ).format(unit=unit, phone=phone)
    return receipt_pdf(
        path,
        title=_("Case/event report receipt"),
        number=_("No. {number}").format(number=number),
        number_hint=_("Scan the code or quote the number to ask about the progress."),
        qr_data=number,
        rows=rows,
        statement=_(
            "Your report has been received and recorded. Keep this receipt: with its number "
            "you can ask about the progress of your report. The police will call you back to "
            "ask whether the matter was handled and whether you are satisfied."
        ),
        contact=contact,
        signatures=[_("Receiving officer (signature)"), _("Reporter (signature)")],
        unit=unit,
        date_text=long_date(moment) if moment else "",
        seal_label=_("(seal)"),
        stub_title=_("Receipt stub (kept by the station)"),
        stub_rows=[rows[0], rows[3], rows[4], rows[6], rows[7]],
        stub_signatures=[_("Receipt received by the reporter (signature)")],
    )


def receipt_issued(context: Any, case: Any) -> IssuedDocument:
    """What printing the receipt records: the case has its receipt (which settles the
    ``no_receipt`` finding), its number becomes a field (searchable in full and in part),
    and the timeline says who issued which number and when, reprints included."""
    number = receipt_number(case)
    return IssuedDocument(
        fields={"receipt_issued": True, "receipt_number": number},
        entry=EntrySpec(
            kind="receipt_issued",
            text=_("Receipt No. {number} issued").format(number=number),
            data={"receipt_number": number},
        ),
    )
