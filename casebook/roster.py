"""The station roster: every officer this notebook has heard of, with a name to show.

Officers' profiles travel as ``officer.profile`` ops (each laptop publishes its own officer's
when it is created), so the roster grows as laptops sync. Lists, tasks, points and reports
show officers by these names; an officer whose profile has not arrived yet is shown by the
officer id (警号), which identifies the officer on a station's paper as well.
"""

from __future__ import annotations

from casebook.errors import NotFoundError
from casebook.i18n import _
from casebook.models import Officer
from casebook.session import Session


class Roster:
    """Read access to the ``officers`` view and to each case's responsible officer."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def officers(self) -> list[Officer]:
        """Every officer of the station known here, by officer id."""
        return [
            Officer(officer_id=r[0], name=r[1], unit=r[2])
            for r in self.session.query(
                "SELECT officer_id, name, unit FROM officers ORDER BY officer_id"
            )
        ]

    def _profile(self, officer_id: str) -> Officer | None:
        """One officer's profile, or None when it has not arrived here."""
        rows = self.session.query(
            "SELECT officer_id, name, unit FROM officers WHERE officer_id = ?", (officer_id,)
        )
        return Officer(officer_id=rows[0][0], name=rows[0][1], unit=rows[0][2]) if rows else None

    def officer_name(self, officer_id: str) -> str:
        """The officer's name from the roster, or the officer id itself when it is unknown."""
        if not officer_id:
            return ""
        officer = self._profile(officer_id)
        return officer.name if officer is not None and officer.name else officer_id

    def officer_names(self) -> dict[str, str]:
        """``{officer id: name}`` of every known officer: for tables that show many rows."""
        return {
            r[0]: r[1] or r[0] for r in self.session.query("SELECT officer_id, name FROM officers")
        }

    def responsible_officer(self, case_id: str) -> str:
        """The officer id of the officer responsible for a case now.

        That is the officer of the last handover (``case assign``) or, for a case never
        handed over, the officer who created it. :raises NotFoundError: no such case.
        """
        rows = self.session.query(
            "SELECT responsible FROM cases WHERE case_id = ?", (str(case_id),)
        )
        if not rows:
            raise NotFoundError(_("No case {id}.").format(id=case_id))
        return rows[0][0]
