"""The missing-person notice 寻人公告, pinned to all units, with the photo when attached.

The issuing unit signs it off with the date of issue and its seal; the phone to call comes
from the station settings (the unit's contact phone), the extra contact line from this
plugin's ``notice_contact`` setting.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from casebook.clock import now
from casebook.i18n import gettext_for
from casebook.pdf import long_date, notice_pdf

from .rules import field_time

_ = gettext_for("casebook-plugins", Path(__file__).resolve().parent.parent / "locale")

GENDER = {"male": "Male", "female": "Female", "unknown": "Unknown"}
#: The station setting that holds the unit's phone (declared by the station plugin).
UNIT_PHONE = "station.phone"


def photo_of(context: Any, case: Any) -> bytes | None:
    """The newest image attached to the case, or None (also when not synced here yet)."""
    images = [
        attachment
        for attachment in case.attachments
        if str(attachment.media_type).startswith("image/") and attachment.available
    ]
    for attachment in reversed(images):
        try:
            return context.read_attachment(attachment.id)
        except Exception:  # an unreadable photo must not stop the notice from printing
            continue
    return None


def notice_rows(case: Any) -> list[tuple[str, Any]]:
    """What the public needs to recognise the person, beside the photo."""
    fields = case.fields
    gender = fields.get("gender")
    age = fields.get("age")
    rows = [
        (_("Gender"), _(GENDER[gender]) if gender in GENDER else ""),
        (_("Age"), _("{age} years").format(age=age) if age not in (None, "") else ""),
        (_("Description"), fields.get("description", "")),
    ]
    return [(label, value) for label, value in rows if value]


def last_seen_rows(case: Any) -> list[tuple[str, Any]]:
    last_seen = field_time(case, "last_seen_at")
    return [
        (_("Last seen at"), last_seen.astimezone().strftime("%Y-%m-%d %H:%M") if last_seen else ""),
        (_("Last seen place"), case.fields.get("last_seen_place", "")),
    ]


def contact_line(unit: str, phone: str) -> str:
    if phone:
        return _("Call 110, or {unit} on {phone}").format(unit=unit, phone=phone)
    return _("Call 110, or contact {unit}").format(unit=unit)


def render_notice(context: Any, case: Any, path: str | Path, contact: str = "") -> Path:
    """Write the notice for ``case`` to ``path``.

    :param contact: an extra contact line (the ``notice_contact`` setting), printed after
        the unit's phone.
    :raises casebook.errors.InvalidInputError: when no CJK font is installed.
    """
    unit = case.unit or (getattr(context, "officer", None) or {}).get("unit", "")
    phone = str(context.setting(UNIT_PHONE) or "").strip()
    name = case.fields.get("name", "")
    body = _(
        "If you have seen this person or know where they are, please tell the police at "
        "once. Every clue counts."
    )
    if contact.strip():
        body += " " + contact.strip()
    return notice_pdf(
        path,
        title=_("Missing-person notice"),
        headline=_("Police are looking for {name}. Please help.").format(name=name),
        name=name,
        rows=notice_rows(case),
        last_seen_title=_("Last seen"),
        last_seen_rows=last_seen_rows(case),
        body=body,
        contact=contact_line(unit, phone),
        unit=unit,
        date_text=long_date(now()),
        seal_label=_("(seal)"),
        photo=photo_of(context, case),
        no_photo_text=_("No photo"),
    )
