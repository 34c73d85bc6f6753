"""Case-handling points 执法办案积分: "quality first, quantity second, efficiency considered".

For each officer (and each unit) over the reviewed cases:

- quality: the mean case score (0-100, 100 minus the open findings' points);
- quantity: cases handled, as a share of the busiest officer's count (0-100);
- efficiency: the share of cases without an open timeliness finding (0-100).

Points are the weighted sum; with the default weights 0.5 / 0.3 / 0.2 they are 0-100.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .rules import TIMELINESS_RULES

DEFAULT_WEIGHTS = {"quality": 0.5, "quantity": 0.3, "efficiency": 0.2}


@dataclass
class Standing:
    """One officer's or unit's points and the parts they are made of."""

    who: str
    cases: int
    quality: float
    quantity: float
    efficiency: float
    points: float

    def row(self) -> list[Any]:
        return [self.who, self.cases, self.quality, self.quantity, self.efficiency, self.points]


def is_open(finding: Any) -> bool:
    return not getattr(finding, "rectified", False)


def standings(
    results: Iterable[Any], key: str, weights: dict[str, float] | None = None
) -> list[Standing]:
    """Points per ``key`` (``"officer_id"`` or ``"unit"``) from review results, best first.

    :param results: :class:`~casebook.models.ReviewResult` values (score, findings, owner).
    """
    weights = {**DEFAULT_WEIGHTS, **(weights or {})}
    grouped: dict[str, list[Any]] = defaultdict(list)
    for result in results:
        grouped[getattr(result, key, "") or "-"].append(result)
    if not grouped:
        return []
    busiest = max(len(items) for items in grouped.values())
    table = []
    for who, items in grouped.items():
        quality = sum(item.score for item in items) / len(items)
        quantity = 100 * len(items) / busiest
        timely = [
            item
            for item in items
            if not any(f.rule in TIMELINESS_RULES and is_open(f) for f in item.findings)
        ]
        efficiency = 100 * len(timely) / len(items)
        points = (
            weights["quality"] * quality
            + weights["quantity"] * quantity
            + weights["efficiency"] * efficiency
        )
        table.append(
            Standing(
                who=who,
                cases=len(items),
                quality=round(quality, 1),
                quantity=round(quantity, 1),
                efficiency=round(efficiency, 1),
                points=round(points, 1),
            )
        )
    table.sort(key=lambda standing: (-standing.points, standing.who))
    return table
