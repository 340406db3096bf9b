"""Showing a change of the history: each field with its value before and after."""

from django import template

register = template.Library()


@register.filter
def fields(change) -> list[tuple[str, object, object, bool]]:
    """Return (field, before, after, changed) for every field of a change's before and after."""
    before, after = change.before or {}, change.after or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return [("", change.before, change.after, change.before != change.after)]
    names = list(dict.fromkeys([*before, *after]))
    return [(n, before.get(n), after.get(n), before.get(n) != after.get(n)) for n in names]


@register.filter
def get_label(labels: dict, key: str) -> str:
    """Return the Vietnamese name of a kind of record."""
    return labels.get(key, key)
