"""Demo cases for trying Casebook: realistic, invented Chinese cases written through the
public :class:`~casebook.Notebook` API only (so they are ordinary, audited ops).

The data follows the station articles: missing persons (an urgent one, an elderly man who
cannot speak, three schoolgirls from one class in one month, a long-missing debtor), and
incidents of every reporting channel and category, with notes, ledger lines and callbacks.
Fields a case type does not declare are left out, so the demo fits whatever plugins are on.

>>> from casebook.demo import load_demo
>>> ids = load_demo(notebook)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from casebook.clock import format_datetime, now

log = logging.getLogger(__name__)

Progress = Callable[[int, int | None], None]


@dataclass
class DemoCase:
    """One case to create, then what happens to it."""

    case_type: str
    fields: dict[str, Any]
    status: str | None = None
    entries: list[tuple[str, str]] = field(default_factory=list)
    later_fields: dict[str, Any] = field(default_factory=dict)
    callbacks_done: int = 0


# --- fitting values to whatever schema is installed -------------------------------------


def _allowed(prop: dict[str, Any], value: Any) -> bool:
    if "enum" in prop and value not in prop["enum"]:
        return False
    if isinstance(value, list) and isinstance(prop.get("items"), dict):
        return all(_allowed(prop["items"], v) for v in value)
    return True


def _placeholder(prop: dict[str, Any], when: datetime) -> Any:
    kind = prop.get("type", "string")
    kind = next((k for k in kind if k != "null"), "string") if isinstance(kind, list) else kind
    if "enum" in prop:
        return prop["enum"][0]
    if kind in ("integer", "number"):
        return prop.get("minimum", 0)
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    if prop.get("format") == "date-time":
        return format_datetime(when)
    if prop.get("format") == "date":
        return when.date().isoformat()
    return "（演示）"


def fit_fields(
    schema: dict[str, Any] | None, fields: dict[str, Any], when: datetime | None = None
) -> dict[str, Any]:
    """Keep the fields the schema declares with allowed values; fill missing required ones."""
    if not schema or not isinstance(schema.get("properties"), dict):
        return dict(fields)
    properties = schema["properties"]
    fitted = {k: v for k, v in fields.items() if k in properties and _allowed(properties[k], v)}
    for name in schema.get("required") or []:
        if name not in fitted and name in properties:
            fitted[name] = _placeholder(properties[name], when or now())
    return fitted


def _enum(schema: dict[str, Any] | None, name: str, fallback: list[str]) -> list[str]:
    prop = ((schema or {}).get("properties") or {}).get(name) or {}
    return list(prop.get("enum") or fallback)


# --- the cases ----------------------------------------------------------------------------


def _ts(base: datetime, **delta: float) -> str:
    return format_datetime(base - timedelta(**delta))


def missing_person_cases(at: datetime) -> list[DemoCase]:
    """Missing persons: every track of the articles (urgent, vulnerable, cluster, long)."""
    school = "梁溪区实验中学"
    cases = [
        DemoCase(
            "missing_person",
            {
                "name": "张三",
                "gender": "male",
                "age": 34,
                "cause": "family_conflict",
                "last_seen_at": _ts(at, days=2, hours=5),
                "last_seen_place": "梁溪区中山路地铁站",
                "reported_at": _ts(at, days=2),
                "area": "梁溪区",
                "description": "身高约175厘米，短发，穿深蓝色夹克、黑色运动鞋，与妻子争吵后离家。",
                "reporter_name": "李梅",
                "reporter_phone": "13800001234",
                "reporter_relationship": "妻子",
                "how_known": "夫妻",
            },
            status="accepted",
            entries=[
                ("ledger", "调取中山路地铁站及周边路口监控，发现其2日晚向南长街方向步行。"),
                ("ledger", "联系其工作单位及老家亲属，均称未见本人。"),
                ("note", "妻子称张三近期因房贷压力情绪低落，已提醒家属保持电话畅通。"),
            ],
            callbacks_done=1,
        ),
        DemoCase(
            "missing_person",
            {
                "name": "刘芳",
                "gender": "female",
                "age": 23,
                "cause": "suicide_risk",
                "risk": "urgent",
                "last_seen_at": _ts(at, hours=9),
                "last_seen_place": "蠡湖大桥附近",
                "reported_at": _ts(at, hours=8),
                "area": "滨湖区",
                "description": "留下字条称“不想活了”，手机已关机。身穿白色连衣裙。",
                "reporter_name": "刘建华",
                "reporter_phone": "13900005678",
                "reporter_relationship": "父亲",
                "how_known": "父女",
            },
            status="accepted",
            entries=[
                ("action", "已启动重大警情实时调度，通报情指中心及水上派出所。"),
                ("ledger", "组织阳光救援队沿蠡湖大桥两岸搜寻，无人机巡查湖面。"),
            ],
        ),
        DemoCase(
            "missing_person",
            {
                "name": "陈德贵",
                "gender": "male",
                "age": 87,
                "cause": "lost",
                "vulnerable": ["elderly", "disability"],
                "last_seen_at": _ts(at, days=6, hours=3),
                "last_seen_place": "惠山区洛社镇菜场",
                "reported_at": _ts(at, days=6),
                "area": "惠山区",
                "description": "聋哑老人，不识字，拄木质拐杖，身穿灰色棉袄。",
                "reporter_name": "陈小燕",
                "reporter_phone": "13700002468",
                "reporter_relationship": "孙女",
                "how_known": "祖孙",
            },
            status="closed",
            entries=[
                ("ledger", "发布寻人公告并推送至全区各单位置顶。"),
                ("ledger", "义警在洛社镇北部农田边发现老人，身体无大碍，已送回家中。"),
            ],
            later_fields={"found_at": _ts(at, days=5, hours=20), "outcome": "found_safe"},
            callbacks_done=2,
        ),
        DemoCase(
            "missing_person",
            {
                "name": "吴强",
                "gender": "male",
                "age": 45,
                "cause": "unknown",
                "last_seen_at": _ts(at, days=121),
                "last_seen_place": "新吴区长江路某小区",
                "reported_at": _ts(at, days=120),
                "area": "新吴区",
                "description": "经营五金店，据称欠有外债，失联前曾变卖车辆。",
                "reporter_name": "吴敏",
                "reporter_phone": "13600001357",
                "reporter_relationship": "姐姐",
                "how_known": "姐弟",
            },
            status="accepted",
            entries=[
                ("ledger", "查询其银行卡及通讯记录，失联后无消费和通话。"),
                ("ledger", "走访其债权人三人，均称近期无联系。"),
                ("note", "已采集其母亲DNA样本入库比对。"),
            ],
            callbacks_done=3,
        ),
    ]
    for offset, (name, days) in enumerate((("赵雨涵", 20), ("孙佳怡", 14), ("周梓萱", 9))):
        cases.append(
            DemoCase(
                "missing_person",
                {
                    "name": name,
                    "gender": "female",
                    "age": 15,
                    "cause": "left_home",
                    "vulnerable": ["minor", "student"],
                    "school": school,
                    "last_seen_at": _ts(at, days=days, hours=2),
                    "last_seen_place": "梁溪区学前街",
                    "reported_at": _ts(at, days=days),
                    "area": "梁溪区",
                    "description": f"{school}初三（2）班学生，放学后未回家。",
                    "reporter_name": ["赵刚", "孙红", "周伟"][offset],
                    "reporter_phone": f"1350000{offset}246",
                    "reporter_relationship": "父母",
                    "how_known": "亲子",
                },
                status="accepted",
                entries=[
                    ("ledger", "联系班主任及同学，了解其近期交友情况。"),
                    ("note", "同班已有多名学生失联，已报所领导研判是否立线调查。"),
                ],
                callbacks_done=2 if offset == 0 else 1,
            )
        )
    cases.append(
        DemoCase(
            "missing_person",
            {
                "name": "王小明",
                "gender": "male",
                "age": 9,
                "cause": "lost",
                "vulnerable": ["minor"],
                "last_seen_at": _ts(at, hours=30),
                "last_seen_place": "锡山区万达广场",
                "reported_at": _ts(at, hours=29),
                "area": "锡山区",
                "description": "与母亲逛商场时走散，穿红色卫衣。",
                "reporter_name": "张丽",
                "reporter_phone": "13500003691",
                "reporter_relationship": "母亲",
                "how_known": "母子",
            },
            status="closed",
            entries=[
                ("action", "巡逻民警调取商场监控，40分钟后在儿童乐园找到。"),
            ],
            later_fields={"found_at": _ts(at, hours=28), "outcome": "found_safe"},
        )
    )
    return cases


SUMMARIES = {
    "criminal": [
        "电动车在小区楼下被盗，价值约3000元。",
        "手机在地铁上被扒窃。",
        "网购被骗，转账后对方失联。",
    ],
    "administrative": [
        "酒后在饭店滋事，损坏桌椅。",
        "小区内有人违规燃放烟花。",
        "网吧接纳未成年人上网。",
    ],
    "help": ["老人在公园走失，无法说清住址。", "钥匙锁在车内，孩子在车上。", "醉酒男子倒在路边。"],
    "dispute": [
        "邻里因装修噪音发生争执。",
        "顾客与商家因退货发生纠纷。",
        "停车位归属纠纷，双方互不相让。",
    ],
    "noise": ["广场舞音响声音过大影响居民休息。", "夜间KTV噪音扰民。", "工地夜间违规施工。"],
    "traffic": [
        "两车轻微刮擦，双方对责任有争议。",
        "路口信号灯故障，车辆拥堵。",
        "车辆违停堵住消防通道。",
    ],
    "non_police": ["小区停水三天无人处理。", "商家拒不退还预付卡余额。", "路灯损坏夜间出行不便。"],
}
LOCATIONS = [
    "梁溪区中山路288号",
    "滨湖区蠡湖大道",
    "惠山区洛社镇",
    "锡山区东亭街道",
    "新吴区旺庄路",
    "梁溪区南长街",
    "经开区华庄街道",
]
REPORTERS = [
    "张三",
    "李四",
    "王五",
    "赵六",
    "钱芳",
    "孙立",
    "周杰",
    "吴静",
    "郑浩",
    "冯敏",
    "陈晨",
    "褚红",
    "卫国",
    "蒋丽",
    "沈阳",
]
DISPOSITIONS = {
    "criminal": ("accepted", "accepted"),
    "administrative": ("accepted", "accepted"),
    "help": ("closed_on_site", "handled"),
    "dispute": ("closed_on_site", "handled"),
    "noise": ("closed_on_site", "closed"),
    "traffic": ("transferred", "transferred"),
    "non_police": ("diverted", "diverted"),
}
AGENCIES = ["12345政务服务热线", "市场监督管理局", "水务集团", "城管局"]
FLAGS = ["frequent_caller", "vice", "mass", "youth", "domestic_violence"]


def incident_cases(
    at: datetime, schema: dict[str, Any] | None, rng: random.Random
) -> list[DemoCase]:
    """One incident for every channel and category pair (with three variants of text)."""
    channels = _enum(
        schema, "channel", ["call_110", "walk_in", "self_service", "patrol", "transfer"]
    )
    categories = _enum(schema, "category", list(SUMMARIES))
    cases = []
    index = 0
    for category in categories:
        for channel in channels:
            reported = at - timedelta(days=rng.randint(0, 20), hours=rng.randint(0, 20))
            summary = SUMMARIES.get(category, ["群众求助。"])[index % 3]
            disposition, status = DISPOSITIONS.get(category, ("accepted", "accepted"))
            fields = {
                "title": summary.split("，")[0].rstrip("。"),
                "reported_at": format_datetime(reported),
                "channel": channel,
                "category": category,
                "summary": summary,
                "reporter_name": REPORTERS[index % len(REPORTERS)],
                "reporter_phone": f"13{index % 10}0000{1000 + index}",
                "location": LOCATIONS[index % len(LOCATIONS)],
                "disposition": disposition,
                # one walk-in without a receipt gives the legal officer something to find
                "receipt_issued": channel in ("walk_in", "self_service") and index % 7 != 3,
            }
            if index % 4 == 0:
                fields["key_flags"] = [FLAGS[index % len(FLAGS)]]
            if disposition == "diverted":
                fields["diverted_to"] = AGENCIES[index % len(AGENCIES)]
            if status == "accepted":
                fields["accepted_at"] = format_datetime(reported + timedelta(hours=2))
            if category == "criminal" and index % 2 == 0:
                fields["filing_decision"] = "filed"
                fields["filing_decided_at"] = format_datetime(reported + timedelta(days=1))
                status = "filed"
            entries = [("action", f"民警到场处置：{summary}"), ("note", "已向报警人说明处理结果。")]
            cases.append(
                DemoCase(
                    "incident",
                    fields,
                    status=status,
                    entries=entries,
                    callbacks_done=1 if index % 3 == 0 else 0,
                )
            )
            index += 1
    return cases


def demo_cases(
    types: dict[str, dict[str, Any]], at: datetime | None = None, seed: int = 2025
) -> Iterator[DemoCase]:
    """The demo cases the installed case types can hold."""
    at = at or now()
    rng = random.Random(seed)
    if "missing_person" in types:
        yield from missing_person_cases(at)
    if "incident" in types:
        yield from incident_cases(at, types["incident"], rng)


# --- writing ---------------------------------------------------------------------------------


CALLBACK_OUTCOMES = [
    {"reached": True, "satisfaction": "satisfied", "comment": "家属对民警处置表示满意。"},
    {"reached": True, "satisfaction": "basically_satisfied", "comment": "希望加快进度。"},
    {"reached": False, "comment": "电话无人接听，次日再联系。"},
]


def _complete_callbacks(notebook: Any, case_id: str, count: int, at: datetime) -> None:
    if count <= 0:
        return
    tasks = [t for t in notebook.tasks(at, case_id=case_id) if t.kind == "callback"]
    for number, task in enumerate(sorted(tasks, key=lambda t: t.due_at)[:count]):
        outcome = fit_fields(task.outcome_schema, CALLBACK_OUTCOMES[number % 2], at)
        notebook.complete_task(task.id, outcome)


def _follow_up(notebook: Any, case: Any, demo: DemoCase, at: datetime) -> None:
    """Status and callbacks: optional steps, so a plugin refusing one keeps the case."""
    try:
        if demo.status and demo.status != case.status:
            notebook.set_status(case.id, demo.status, "演示数据")
    except Exception as error:  # noqa: BLE001
        log.warning("demo status skipped on %s: %s", case.id, error)
    try:
        _complete_callbacks(notebook, case.id, demo.callbacks_done, at)
    except Exception as error:  # noqa: BLE001
        log.warning("demo callbacks skipped on %s: %s", case.id, error)


def load_demo(
    notebook: Any, *, progress: Progress | None = None, at: datetime | None = None
) -> list[str]:
    """Write the demo cases into ``notebook``; returns their ids.

    A case the installed plugins refuse is skipped (logged), so the demo never blocks the
    first run.

    :param progress: called as ``progress(done, total)``.
    :param at: the "now" the demo is built around (default: the clock).
    """
    at = at or now()
    types = notebook.case_types()
    plan = list(demo_cases(types, at))
    ids: list[str] = []
    for done, demo in enumerate(plan, start=1):
        try:
            fields = fit_fields(types.get(demo.case_type), demo.fields, at)
            case = notebook.create_case(demo.case_type, fields)
            for kind, text in demo.entries:
                notebook.add_entry(case.id, kind, text)
            if demo.later_fields:
                later = fit_fields(None, demo.later_fields)
                known = (types.get(demo.case_type) or {}).get("properties") or {}
                later = {k: v for k, v in later.items() if not known or k in known}
                if later:
                    notebook.update_case(case.id, later)
            ids.append(case.id)
        except Exception as error:  # noqa: BLE001 - a demo case that does not fit is skipped
            log.warning("demo case skipped (%s): %s", demo.case_type, error)
            if progress:
                progress(done, len(plan))
            continue
        _follow_up(notebook, case, demo, at)
        if progress:
            progress(done, len(plan))
    return ids
