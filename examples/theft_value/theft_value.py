"""theft_value: the worked example of docs/plugin_tutorial.md (not installed by Casebook).

A theft of more than 5,000 yuan must be filed (立案) within 3 days of the report; a case that
is not costs 20 points in the legal review. The stolen value is a field this plugin adds to
the built-in ``incident`` type, so officers record it as a number instead of in the title.
"""

from __future__ import annotations

from datetime import timedelta

from casebook import CaseField, Finding, SettingSpec, Vocabulary, hookimpl
from casebook.clock import parse_datetime
from casebook.i18n import language

casebook_plugin = {
    "version": "1.0.0",
    "publisher": "示例区法制大队",
    "api": [2],
    "title": {"zh_CN": "盗窃价值审核", "en": "Theft value review"},
}

RULE = "theft_value.not_filed"

#: The plugin's labels, by language; the English text is the key.
LABELS = {
    "zh_CN": {
        "Stolen value (yuan)": "被盗财物价值（元）",
        "Theft value: amount that must be filed quickly (yuan)": "盗窃价值审核：须及时立案的金额（元）",
        "Theft value: days to file": "盗窃价值审核：立案时限（天）",
        "High-value theft not filed in time": "高价值盗窃未及时立案",
        "Theft of {value} yuan not filed within {days} days of the report.": (
            "被盗价值{value}元，接报后{days}日内未立案。"
        ),
    },
}


def _(text: str) -> str:
    """``text`` in the user's language."""
    return LABELS.get(language(), {}).get(text, text)


@hookimpl
def register_case_fields(context):
    return [
        CaseField(
            case_type="incident",
            name="stolen_value",
            schema={"type": "integer", "minimum": 0, "maximum": 100_000_000},
            labels={"zh_CN": LABELS["zh_CN"]["Stolen value (yuan)"], "en": "Stolen value (yuan)"},
        )
    ]


@hookimpl
def register_settings(context):
    return [
        SettingSpec(
            key="theft_value.threshold",
            title=_("Theft value: amount that must be filed quickly (yuan)"),
            default=5000,
            schema={"type": "integer", "minimum": 0},
        ),
        SettingSpec(
            key="theft_value.days",
            title=_("Theft value: days to file"),
            default=3,
            schema={"type": "integer", "minimum": 1, "maximum": 30},
        ),
    ]


@hookimpl
def review_case(context, case, at):
    value = case.fields.get("stolen_value")
    if case.type != "incident" or not isinstance(value, int):
        return []
    if value <= context.setting("theft_value.threshold"):
        return []
    reported = parse_datetime(case.fields.get("reported_at") or case.created_at)
    days = context.setting("theft_value.days")
    deadline = reported + timedelta(days=days)
    filed = case.fields.get("filing_decision") == "filed" or case.status == "filed"
    filed_at = parse_datetime(case.fields.get("filing_decided_at"))
    if filed and (filed_at is None or filed_at <= deadline):
        return []
    if not filed and at <= deadline:
        return []  # there is still time
    return [
        Finding(
            rule=RULE,
            severity="error",
            message=_("Theft of {value} yuan not filed within {days} days of the report.").format(
                value=value, days=days
            ),
            points=20,
            # A missed deadline stays missed: the host keeps the finding until it is
            # rectified, even when the case is filed later.
            overdue=True,
            since=deadline,
        )
    ]


@hookimpl
def register_vocabulary():
    return [
        Vocabulary(
            rules={RULE: "High-value theft not filed in time"},
            fields={"stolen_value": "Stolen value (yuan)"},
            translate=_,
        )
    ]
