"""Reads on the unit tree."""

from collections import defaultdict

from thidua.territory.models import AdminUnit, Level

from .models import Kind, Unit


def unit_areas(campaign) -> dict[int, frozenset[int]]:
    """Return, for every unit of a campaign, the ids of the communes it serves.

    A unit's area is the union of its districts' and communes' (a province code covers the province);
    a unit with no area of its own serves its parent's. Three queries, whatever the size of the tree.
    """
    units, own = _own_areas(campaign)
    return _resolved(units, own)


def _resolved(units: list[tuple[int, int | None, str]], own: dict[int, set[int]]) -> dict[int, frozenset[int]]:
    """Return each unit's area: its own, else its parent's (unit_areas)."""
    parents = {unit_id: parent_id for unit_id, parent_id, _ in units}
    resolved: dict[int, frozenset[int]] = {}

    def resolve(unit_id: int, seen: frozenset = frozenset()) -> frozenset[int]:
        if unit_id in resolved:
            return resolved[unit_id]
        if own.get(unit_id):
            area = frozenset(own[unit_id])
        elif parents.get(unit_id) is not None and unit_id not in seen:
            area = resolve(parents[unit_id], seen | {unit_id})
        else:
            area = frozenset()
        resolved[unit_id] = area
        return area

    for unit_id, _, _ in units:
        resolve(unit_id)
    return resolved


def _own_areas(campaign) -> tuple[list[tuple[int, int | None, str]], dict[int, set[int]]]:
    """Return the units of a campaign as (id, parent id, kind) and the communes of each one's own `dia_ban`: three
    queries."""
    units = list(Unit.objects.filter(campaign=campaign).values_list("id", "parent_id", "kind"))
    own: dict[int, set[int]] = defaultdict(set)
    through = Unit.areas.through.objects.filter(unit__campaign=campaign)
    links = list(through.values_list("unit_id", "adminunit_id", "adminunit__level"))
    communes = AdminUnit.objects.communes_of(campaign.structure, campaign.province_code)
    by_parent: dict[int, list[int]] = defaultdict(list)
    all_communes: list[int] = []
    for cid, parent_id in communes.values_list("id", "parent_id"):
        by_parent[parent_id].append(cid)
        all_communes.append(cid)
    for unit_id, area_id, level in links:
        if level == Level.COMMUNE:
            own[unit_id].add(area_id)
        elif level == Level.DISTRICT:
            own[unit_id].update(by_parent[area_id])
        else:
            own[unit_id].update(all_communes)
    return units, own


def support_areas(campaign) -> dict[int, frozenset[int]]:
    """Return, for every unit of a campaign, the communes a support machine may work in for it (docs/monitoring.md,
    «Area»): those of its own `dia_ban` (a district: all its communes); when it has none, those of the teams below
    it. Three queries, whatever the size of the tree."""
    return areas_and_support_areas(campaign)[1]


def areas_and_support_areas(campaign) -> tuple[dict[int, frozenset[int]], dict[int, frozenset[int]]]:
    """Return unit_areas and support_areas of a campaign, both from the same three queries."""
    units, own = _own_areas(campaign)
    kinds = {unit_id: kind for unit_id, _, kind in units}
    children: dict[int | None, list[int]] = defaultdict(list)
    for unit_id, parent_id, _ in units:
        children[parent_id].append(unit_id)
    inherited = _resolved(units, own)
    found = {}
    for unit_id, _, _ in units:
        if own.get(unit_id):
            found[unit_id] = frozenset(own[unit_id])
            continue
        area, stack, seen = set(), list(children[unit_id]), set()
        while stack:
            below = stack.pop()
            if below in seen:
                continue
            seen.add(below)
            if kinds.get(below) == Kind.TO:
                area |= inherited[below]
            stack.extend(children[below])
        found[unit_id] = frozenset(area)
    return inherited, found


def subtree_ids(campaign, root_id: int) -> set[int]:
    """Return the ids of a unit and all units below it."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for uid, parent_id in Unit.objects.filter(campaign=campaign).values_list("id", "parent_id"):
        children[parent_id].append(uid)
    found, stack = set(), [root_id]
    while stack:
        uid = stack.pop()
        if uid not in found:
            found.add(uid)
            stack.extend(children[uid])
    return found
