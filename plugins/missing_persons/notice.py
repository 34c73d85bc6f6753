"""The missing-person notice 寻人公告, pinned to all units, with the photo when attached."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from casebook.i18n import gettext_for
from casebook.pdf import notice_pdf

from .rules import field_time

_ = gettext_for("casebook-plugins", Path(__file__).resolve().parent.parent / "locale")

GENDER = {"male": "Male", "female": "Female", "unknown": "Unknown"}


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
    fields = case.fields
    last_seen = field_time(case, "last_seen_at")
    gender = fields.get("gender")
    return [
        (_("Name"), fields.get("name", "")),
        (_("Gender"), _(GENDER[gender]) if gender in GENDER else ""),
        (_("Age"), fields.get("age", "")),
        (_("Description"), fields.get("description", "")),
        (_("Last seen at"), last_seen.strftime("%Y-%m-%d %H:%M") if last_seen else ""),
        (_("Last seen place"), fields.get("last_seen_place", "")),
    ]


def render_notice(context: Any, case: Any, path: str | Path, contact: str = "") -> Path:
    """Write the notice for ``case`` to ``path``.

    :raises casebook.errors.InvalidInputError: when no CJK font is installed.
    """
    unit = (getattr(context, "officer", None) or {}).get("unit", "")
    name = case.fields.get("name", "")
    return notice_pdf(
        path,
        title=_("Missing-person notice"),
        headline=_("Police are looking for {name}. Please help.").format(name=name),
        rows=notice_rows(case),
        body=_(
            "If you have seen this person or know where they are, please tell the police at "
            "once. Call 110 or contact the unit below. Every clue counts."
        ),
        contact=contact or _("Contact: {unit}, or call 110").format(unit=unit),
        photo=photo_of(context, case),
        no_photo_text=_("No photo"),
    )
