"""Rows of the big tables rendered once and kept, per process, while what they show stays the same.

A national campaign's standings page has 2,100 rows; rendering them through the template engine takes most of a
second. After an act only a few rows change (the competitors of the teams it touched, and those whose rank moved),
so each row's HTML is kept under the values it shows: the next page renders only those that changed. The key holds
every value a row template reads (and the language, the campaign, the date and whether the user may open the row),
so a kept row is always the one the template would render now.
"""

import threading
from collections import OrderedDict

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from thidua.monitoring.forecasts import CommuneForecast
from thidua.scoring.core import Standing
from thidua.scoring.forecast import Forecast

register = template.Library()

_KEPT: OrderedDict[tuple, str] = OrderedDict()
_SAME: OrderedDict[tuple, tuple[object, str]] = OrderedDict()
_KEPT_MAX = 50_000  # rows: ~25 MiB of HTML at most (the identities' entries share the same strings)
_lock = threading.Lock()


def _shown(s) -> tuple:
    """Return every value of a standings row that its templates show."""
    return (s.code, s.name, s.rank, s.tie, s.tier, s.needs_decision, s.eligible, s.setup_error, s.quota, s.intake,
            s.attainment, s.completed_on, s.intake_points, s.time_points, s.total)


def _key_of(row) -> tuple:
    """Return what a row shows: a standings row's values; a forecast (a frozen value: itself); a commune's forecast
    (likewise); a projected row's projected values and live rank."""
    if isinstance(row, Standing):
        return _shown(row)
    if isinstance(row, Forecast | CommuneForecast):
        return (type(row).__name__, row)
    if hasattr(row, "projected") and hasattr(row, "live"):
        return ("projected", _shown(row.projected), row.live.rank)
    raise TypeError(f"no key for a row of type {type(row).__name__}")


@register.simple_tag(takes_context=True)
def cached_rows(context, template_name: str, rows, name: str = "s") -> str:
    """Render each row of `rows` with `template_name`, which reads it as `name`, and `campaign`, `as_of` and
    `explained` (whether the user may open the row's explanation: its code is in the context's `explainable`); one
    tag for a table's body, not one per row (the template engine's loop and tag cost more than finding a kept row:
    2,100 rows a page)."""
    campaign, as_of, explainable = context["campaign"], context["result"].as_of, context.get("explainable", ())
    base = (template_name, name, get_language(), campaign.code, as_of)
    # Each row's HTML is our own template's, which escaped every value it shows.
    return mark_safe("\n".join(_row_html(base, campaign, explainable, row) for row in rows))  # nosec B308 B703


def _row_html(base: tuple, campaign, explainable, row) -> str:
    """Return a row's HTML: `base` is (template, name, language, campaign code, date), the same for a whole table."""
    template_name, name, _language, _code, as_of = base
    explained = getattr(row, "code", None) in explainable
    around = (*base, explained)
    # First by the row itself (standings brought up to date keep the rows an act did not change: the same objects),
    # held with its HTML so that the identity is never another row's; then by its values (hashing its fractions
    # costs more than the lookup: 2,100 rows a page).
    same = (*around, id(row))
    with _lock:
        seen = _SAME.get(same)
        if seen is not None and seen[0] is row:
            _SAME.move_to_end(same)
            return seen[1]
    key = (*around, _key_of(row))
    with _lock:
        html = _KEPT.get(key)
        if html is not None:
            _KEPT.move_to_end(key)
            _keep_same(same, row, html)
            return html
    # The HTML of our own template, which escaped every value it shows.
    html = mark_safe(render_to_string(template_name, {  # nosec B308 B703
        name: row, "campaign": campaign, "as_of": as_of, "explained": explained}))
    with _lock:
        _KEPT[key] = html
        while len(_KEPT) > _KEPT_MAX:
            _KEPT.popitem(last=False)
        _keep_same(same, row, html)
    return html


def _keep_same(same: tuple, row, html: str) -> None:
    """Keep a row's HTML under its identity (under the lock)."""
    _SAME[same] = (row, html)
    while len(_SAME) > _KEPT_MAX:
        _SAME.popitem(last=False)


def forget_rows() -> None:
    with _lock:
        _KEPT.clear()
        _SAME.clear()
