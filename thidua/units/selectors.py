"""Reads on the unit tree."""

from collections import defaultdict

from thidua.territory.models import AdminUnit, Level

from .models import Unit


def unit_areas(campaign) -> dict[int, frozenset[int]]:
    """Return, for every unit of a campaign, the ids of the communes it serves.

    A unit's area is the union of its districts' and communes' (a province code covers the province);
    a unit with no area of its own serves its parent's. Three queries, whatever the size of the tree.
    """
    units = list(Unit.objects.filter(campaign=campaign).values_list("id", "parent_id"))
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
    parents = dict(units)
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

    for unit_id, _ in units:
        resolve(unit_id)
    return resolved


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
