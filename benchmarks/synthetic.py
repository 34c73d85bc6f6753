"""Synthetic Chinese incident records for benchmarks (deterministic for a seed)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰建国文斌辉鹏宇浩然晨阳欣怡子涵梓萱"
PLACES = [
    "滨湖区",
    "梁溪区",
    "新吴区",
    "锡山区",
    "惠山区",
    "江阴市",
    "宜兴市",
    "安源区",
    "湘东区",
    "芦溪县",
]
SPOTS = ["公园", "广场", "商场", "车站", "医院", "网吧", "小区", "学校", "菜市场", "河边"]
EVENTS = [
    "电动车被盗",
    "邻里纠纷",
    "噪音扰民",
    "手机遗失",
    "家庭矛盾",
    "走失老人",
    "醉酒滋事",
    "交通事故",
    "诈骗",
    "求助",
]
PHRASES = [
    "报警人称",
    "民警到场后",
    "经调解",
    "调取周边监控",
    "走访周边群众",
    "已告知报警人",
    "现场处置完毕",
    "移交派出所",
    "双方达成和解",
    "登记在案",
    "联系家属",
    "开展搜寻",
]
TZ = timezone(timedelta(hours=8))


def name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


def incident(rng: random.Random, index: int) -> dict:
    who = name(rng)
    place = rng.choice(PLACES) + rng.choice(SPOTS)
    reported = datetime(2025, 1, 1, tzinfo=TZ) + timedelta(minutes=rng.randint(0, 525_600))
    summary = (
        f"{who}{rng.choice(PHRASES)}，在{place}{rng.choice(EVENTS)}。"
        + "，".join(rng.choice(PHRASES) for _ in range(rng.randint(4, 10)))
        + f"。编号{index}"
    )
    return {
        "title": f"{who} {rng.choice(EVENTS)}",
        "location": place,
        "summary": summary,
        "reported_at": reported.isoformat(timespec="seconds"),
    }


def records(count: int, seed: int = 1) -> list[dict]:
    rng = random.Random(seed)
    return [incident(rng, i) for i in range(count)]
