"""The change in ranks between two frozen standings (two snapshots' payloads): pure, no framework.

Per competition group, each competitor's rank, prize rank, total and tier before → after; a competitor present in
only one of the two shows None on the other side.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class RowChange:
    unit: str
    name: str
    rank_before: int | None
    rank_after: int | None
    prize_before: int | None
    prize_after: int | None
    total_before: str | None
    total_after: str | None
    tier_before: int | None
    tier_after: int | None

    @property
    def changed(self) -> bool:
        return ((self.rank_before, self.prize_before, self.total_before, self.tier_before)
                != (self.rank_after, self.prize_after, self.total_after, self.tier_after))

    @property
    def moved(self) -> int | None:
        """Return how many places the competitor went up (negative: down), or None without both ranks."""
        if self.rank_before is None or self.rank_after is None:
            return None
        return self.rank_before - self.rank_after

    @property
    def distance(self) -> int | None:
        """Return how many places the competitor moved, either way."""
        return None if self.moved is None else abs(self.moved)


@dataclass(frozen=True)
class GroupChange:
    code: str
    name: str
    rows: tuple[RowChange, ...]

    @property
    def changed(self) -> tuple[RowChange, ...]:
        return tuple(r for r in self.rows if r.changed)


def _tier(row: dict | None) -> int | None:
    award = (row or {}).get("award")
    return award["tier"] if award else None


def _rows(group: dict | None) -> dict[str, dict]:
    return {row["unit"]: row for row in (group or {}).get("standings", [])}


def rank_changes(before: dict, after: dict) -> list[GroupChange]:
    """Return, per scored group of `after` (then any group only `before` has), every competitor before → after,
    in the order of the new standings (those gone from it last)."""
    old_groups = {g["code"]: g for g in before.get("groups", [])}
    new_groups = {g["code"]: g for g in after.get("groups", [])}
    found = []
    for code in [*new_groups, *(c for c in old_groups if c not in new_groups)]:
        old, new = _rows(old_groups.get(code)), _rows(new_groups.get(code))
        if not old and not new:
            continue
        units = [*new, *(u for u in old if u not in new)]
        rows = []
        for unit in units:
            o, n = old.get(unit), new.get(unit)
            rows.append(RowChange(
                unit=unit, name=(n or o)["name"],
                rank_before=o and o["rank"], rank_after=n and n["rank"],
                prize_before=o and o["prize_rank"], prize_after=n and n["prize_rank"],
                total_before=o and o["total"], total_after=n and n["total"],
                tier_before=_tier(o), tier_after=_tier(n)))
        group = new_groups.get(code) or old_groups[code]
        found.append(GroupChange(code=code, name=group["name"], rows=tuple(rows)))
    return found
