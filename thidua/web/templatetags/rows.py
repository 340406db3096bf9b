"""Rows of the big tables rendered once and kept, per process, while what they show stays the same.

A national campaign's standings page has 2,100 rows; rendering them through the template engine takes most of a
second. After an act only a few rows change (the competitors of the teams it touched, and those whose rank moved),
so each row's HTML is kept under the values it shows: the next page renders only those that changed. The key holds
every value a row template reads (and the language, the campaign, the date and whether the user may open the row),
so a kept row is always the one the template would render now.

Rows are kept per table from its last rendering only (`thidua.web.lastuse`): a row an act superseded is dropped the
next time its table is shown, so what a worker holds does not grow with the evening's acts (issue 12).
"""

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from thidua.monitoring.forecasts import CommuneForecast
from thidua.scoring.core import Standing
from thidua.scoring.forecast import Forecast
from thidua.web.lastuse import LastUse

register = template.Library()

# Rows of recent tables: a national standings page shows 2,100 rows, its forecast page 2,000.
_TABLES = LastUse(max_entries=20_000)


class _Kept:
    """A row rendered: the row itself (its identity is only looked up while it is held here), what it shows and that
    key's hash (computed once: hashing a row's fractions costs more than finding it), and its HTML by whether the
    user may open its explanation (shared by the entries of the same values)."""

    __slots__ = ("hashed", "html", "key", "row")

    def __init__(self, row, key: tuple, hashed: int, html: dict[bool, str]):
        self.row, self.key, self.hashed, self.html = row, key, hashed, html


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
    rows = list(rows)
    # The table: its template, language, campaign, date and which rows it shows (a district's forecast shows its
    # own teams: another table than the province's, not one that replaces the other's rows at every page).
    table = (template_name, name, get_language(), campaign.code, as_of, frozenset(row.code for row in rows))
    before = _TABLES.before(table)
    by_value = None  # the kept rows by their values' hash, when first needed
    now: dict[int, _Kept] = {}
    out = []
    for row in rows:
        kept = before.get(id(row))
        if kept is None or kept.row is not row:  # then by its values (standings read again from nothing)
            key = _key_of(row)
            hashed = hash(key)
            if by_value is None:
                by_value = {kept.hashed: kept for kept in before.values()}
            same = by_value.get(hashed)
            kept = _Kept(row, key, hashed, same.html if same is not None and same.key == key else {})
        explained = row.code in explainable
        html = kept.html.get(explained)
        if html is None:
            # The HTML of our own template, which escaped every value it shows.
            html = kept.html[explained] = mark_safe(render_to_string(template_name, {  # nosec B308 B703
                name: row, "campaign": campaign, "as_of": as_of, "explained": explained}))
        now[id(row)] = kept
        out.append(html)
    _TABLES.keep(table, now)
    # Each row's HTML is our own template's, which escaped every value it shows.
    return mark_safe("\n".join(out))  # nosec B308 B703


def forget_rows() -> None:
    _TABLES.clear()
