"""Validation of ops received from other laptops: the same checks a local write passes.

A member with a modified client can sign anything; the share only proves who wrote an op, not
that it is sound. Before the journal records a received op it asks :meth:`ReceivedOps.problem`,
which applies the validators local writes use (the case type's schema, the statuses, the entry
rules, the settings' schemas) and binds the op to its device's officer.

Every laptop must reach the same verdict whatever order ops arrive in, so the checks look only
at the op itself, at what never changes once written (a case's type), and at the station's
shared vocabulary (case types and settings of the plugins installed). A case change is judged
field by field (``CaseType.change_problems``), not together with concurrent changes, and
plugins' ``validate_case`` hooks are not asked (they may read the clock or local state). A
setting that no plugin on this laptop declares is accepted as it comes: there is no schema to
judge it by.
"""

from __future__ import annotations

from typing import Any

from casebook.cases import STATUSES, check_handover
from casebook.errors import InvalidInputError, NotFoundError
from casebook.i18n import _
from casebook.models import MAX_FINDING_POINTS, SEVERITIES
from casebook.oplog import Op
from casebook.session import Session
from casebook.settings import setting_problem
from casebook.tasks import check_entry


class ReceivedOps:
    """Judges received ops against this laptop's case types and settings."""

    def __init__(self, session: Session, catalog: Any, settings: Any) -> None:
        self.session = session
        self.catalog = catalog
        self.settings = settings

    def problem(self, op: Op, officer_id: str | None = None) -> str | None:
        """Why ``op`` must be refused, or None.

        :param officer_id: the officer of the device's membership record; an op naming
            another officer, or a profile of another officer, is refused.
        """
        payload = op["payload"]
        kind = op["kind"]
        if officer_id is not None:
            if op["officer_id"] != officer_id:
                return _(
                    "the op names officer {named}, but its device belongs to officer {member}"
                ).format(named=op["officer_id"], member=officer_id)
            if kind == "officer.profile" and payload.get("officer_id") != officer_id:
                return _("a device may only change its own officer's profile")
        try:
            check = getattr(self, "_" + kind.replace(".", "_"), None)
            return check(op, payload) if check is not None else None
        except (InvalidInputError, NotFoundError) as error:
            return str(error)

    # -- by kind ---------------------------------------------------------------------------

    def _officer_profile(self, op: Op, p: dict[str, Any]) -> str | None:
        for name in ("officer_id", "name", "unit"):
            value = p.get(name)
            if not isinstance(value, str) or not value.strip() or len(value) > 200:
                return _("{field}: this field is required").format(field=name)
        return None

    def _config_set(self, op: Op, p: dict[str, Any]) -> str | None:
        key = p.get("key")
        if not isinstance(key, str) or "value" not in p:
            return _("a setting change without key or value")
        specs = {spec.key: spec for spec in self.settings.setting_specs()}
        if key in specs:
            return setting_problem(specs[key], p["value"])
        return None

    def _case_create(self, op: Op, p: dict[str, Any]) -> str | None:
        if not isinstance(p.get("fields"), dict):
            return _("The fields must be a JSON object.")
        problem = self._status(p.get("status"))
        if problem is not None:
            return problem
        case_type = self.catalog.case_type(p.get("type"))
        problems = case_type.problems(p["fields"])
        return "; ".join(x.message for x in problems) if problems else None

    def _case_set(self, op: Op, p: dict[str, Any]) -> str | None:
        if not isinstance(p.get("fields"), dict):
            return _("The fields must be a JSON object.")
        return self._change(op["case_id"], p["fields"])

    def _case_resolve(self, op: Op, p: dict[str, Any]) -> str | None:
        field = p.get("field")
        if not isinstance(field, str) or "value" not in p:
            return _("a resolution without field or value")
        if field == "status":
            return self._status(p["value"])
        return self._change(op["case_id"], {field: p["value"]})

    def _case_status(self, op: Op, p: dict[str, Any]) -> str | None:
        if not isinstance(p.get("reason", ""), str):
            return _("reason: must be text")
        return self._status(p.get("status"))

    def _case_assign(self, op: Op, p: dict[str, Any]) -> str | None:
        check_handover(p.get("officer_id"), p.get("note", ""))
        return None

    def _finding_raise(self, op: Op, p: dict[str, Any]) -> str | None:
        findings = p.get("findings")
        if not isinstance(findings, list) or not findings:
            return _("findings: must be a non-empty list")
        for finding in findings:
            if not isinstance(finding, dict):
                return _("findings: must be a non-empty list")
            for name in ("id", "plugin", "rule"):
                value = finding.get(name)
                if not isinstance(value, str) or not value or len(value) > 200:
                    return _("{field}: this field is required").format(field=name)
            if finding.get("severity") not in SEVERITIES:
                return _("severity: must be one of {choices}").format(choices=", ".join(SEVERITIES))
            points = finding.get("points")
            if (
                not isinstance(points, int)
                or isinstance(points, bool)
                or not 0 <= points <= MAX_FINDING_POINTS
            ):
                return _("points: must be a whole number from 0 to {limit}").format(
                    limit=MAX_FINDING_POINTS
                )
            check_entry("note", finding.get("message"), None)
        return None

    def _finding_clear(self, op: Op, p: dict[str, Any]) -> str | None:
        ids = p.get("finding_ids")
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            return _("finding_ids: must be a non-empty list of ids")
        return None

    def _alert_acknowledge(self, op: Op, p: dict[str, Any]) -> str | None:
        alert = p.get("alert_id")
        if not isinstance(alert, str) or not alert or len(alert) > 200:
            return _("{field}: this field is required").format(field="alert_id")
        check_entry("note", p.get("note"), None)
        return None

    def _entry_add(self, op: Op, p: dict[str, Any]) -> str | None:
        check_entry(p.get("kind"), p.get("text"), p.get("data"))
        return None

    def _entry_edit(self, op: Op, p: dict[str, Any]) -> str | None:
        check_entry("note", p.get("text"), p.get("data"))
        return None

    # -- helpers ---------------------------------------------------------------------------

    @staticmethod
    def _status(status: Any) -> str | None:
        if status not in STATUSES:
            return _("status: must be one of {choices}").format(choices=", ".join(STATUSES))
        return None

    def _change(self, case_id: str | None, changes: dict[str, Any]) -> str | None:
        rows = self.session.conn.execute(
            "SELECT type FROM cases WHERE case_id = ?", (case_id,)
        ).fetchall()
        if not rows:
            return None  # the views refuse a change to a case that does not exist
        problems = self.catalog.case_type(rows[0][0]).change_problems(changes)
        return "; ".join(x.message for x in problems) if problems else None
