"""The station's own details that its printed papers carry (seed 004: the receipt tells the
reporter how to ask about progress; seed 001: the notice tells the public whom to call).

The unit's name comes from the officer's profile; the unit's contact phone is a station
setting, set once (the first-run wizard asks for it) and synced to every laptop, so the
receipt of the callbacks plugin and the notice of the missing-persons plugin print the
same number.

It also runs the intake checks every case type gets (:mod:`.intake`): resident ID numbers
and the order of dates, as the case types' schemas declare them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from casebook import Problem, SettingSpec, hookimpl
from casebook.i18n import gettext_for

from . import intake

casebook_plugin = {"version": "1.0.0", "publisher": "Casebook", "api": [2]}

_ = gettext_for("casebook-plugins", Path(__file__).resolve().parent.parent / "locale")

PREFIX = "station."
#: The key other plugins read (``setting(PHONE)``); empty until the station sets it.
PHONE = PREFIX + "phone"


def setting_specs() -> list[SettingSpec]:
    return [
        SettingSpec(
            key=PHONE,
            title=_("Unit contact phone"),
            default="",
            schema={"type": "string", "maxLength": 60},
            description=_(
                "The phone number the public can call, printed on report receipts and "
                "missing-person notices (for example 0510-85212110)."
            ),
        )
    ]


@hookimpl
def register_settings() -> list[SettingSpec]:
    return setting_specs()


@hookimpl
def validate_case(context: Any, case: Any) -> list[Problem]:
    return intake.problems(context, case)
