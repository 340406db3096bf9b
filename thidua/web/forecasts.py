"""The forecast pages (docs/monitoring.md): who will be late at today's pace, what pace each needs, the projected
final standings beside the live ones; and each role's alerts on its home page.

Every competitor's forecast is shown to whoever sees the standings (the standings are the campaign's); the teams'
and the communes' only within the user's scope.
"""

import io
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import render

from thidua.monitoring.export import forecast_xlsx
from thidua.monitoring.forecasts import (
    BeforeStart,
    CampaignForecast,
    GroupForecast,
    campaign_forecast,
    commune_forecasts,
)
from thidua.scoring.core import Standing

from .lastuse import LastUse
from .selectors import PLANNER_ROLES, in_scope
from .views import XLSX, _as_of, _campaign_and_scope


@dataclass(frozen=True)
class ProjectedRow:
    """A competitor's live standing beside its projected final one."""

    live: Standing
    projected: Standing

    @property
    def code(self) -> str:
        return self.live.code

    @property
    def change(self) -> int | None:
        """Return the places gained (> 0) or lost (< 0) from the live rank to the projected one."""
        if self.live.rank is None or self.projected.rank is None:
            return None
        return self.live.rank - self.projected.rank


# The rows of before while their live and projected standings are the very same objects (standings brought up to
# date keep the rows an act did not change), so that the page's kept HTML is found by the row itself: per group and
# date, those of its last page only (`thidua.web.lastuse`).
_ROWS = LastUse(max_entries=10_000)


def _projected_rows(result: CampaignForecast, group: GroupForecast) -> list[ProjectedRow]:
    standings = next(g.standings for g in result.standings.groups if g.code == group.code)
    live = standings.by_code()
    table = (result.campaign.pk, result.as_of, group.code)
    before, now, rows = _ROWS.before(table), {}, []
    for p in group.projected.rows:
        s = live[p.code]
        row = before.get((id(s), id(p)))
        if row is None or row.live is not s or row.projected is not p:
            row = ProjectedRow(s, p)
        now[(id(s), id(p))] = row
        rows.append(row)
    _ROWS.keep(table, now)
    return rows


ROWS_SHOWN = 300  # teams or communes on the page at most (a province has fewer; the workbook has them all)


@login_required
def forecast_page(request, code):
    """Show every competitor's projected completion, required pace, flags with their reasons and what it needs to
    overtake the rank above; the projected final standings beside the live ones; the teams and communes in scope."""
    campaign, scope = _campaign_and_scope(request, code)
    as_of, error = _as_of(request, campaign)
    try:
        result = campaign_forecast(campaign, as_of)
    except BeforeStart:  # the campaign has not started yet: nothing to forecast
        return render(request, "web/forecast.html", {"campaign": campaign, "result": None, "error": error})
    units, communes = in_scope(campaign, scope)
    teams = [f for f in result.teams if units is None or f.code in units]
    shown_communes = [c for c in commune_forecasts(campaign, result.as_of) if communes is None or c.pk in communes]
    groups = [(g, _projected_rows(result, g)) for g in result.groups]
    # A province's teams and communes are shown whole; a national scope's, those most behind first, up to a page's
    # worth (the workbook has them all).
    ordered_teams = sorted(teams, key=lambda f: (not f.at_risk, not f.watch, f.code))
    ordered_communes = sorted(shown_communes, key=lambda c: (not c.forecast.at_risk, c.coverage or 0, c.code))
    return render(request, "web/forecast.html", {
        "campaign": campaign, "result": result, "error": error, "groups": groups,
        "mine": units or set(), "teams": ordered_teams[:ROWS_SHOWN], "teams_more": len(teams) - ROWS_SHOWN,
        "teams_at_risk": [f for f in teams if f.at_risk],
        "communes": ordered_communes[:ROWS_SHOWN], "communes_more": len(shown_communes) - ROWS_SHOWN,
        "communes_at_risk": sum(1 for c in shown_communes if c.forecast.at_risk),
        "planner": scope.role in PLANNER_ROLES and campaign.accepts_data,
    })


@login_required
def forecast_xlsx_download(request, code):
    """Download the forecast as a workbook: the competitors, and the teams and communes in the user's scope."""
    campaign, scope = _campaign_and_scope(request, code)
    as_of, _error = _as_of(request, campaign)
    try:
        result = campaign_forecast(campaign, as_of)
    except BeforeStart:
        return render(request, "web/forecast.html", {"campaign": campaign, "result": None}, status=404)
    units, communes = in_scope(campaign, scope)
    all_communes = commune_forecasts(campaign, result.as_of)
    shown = None
    if units is not None:
        competitors = {f.code for _, f in result.competitors()}
        commune_codes = {c.code for c in all_communes if c.pk in communes}
        shown = frozenset(units | competitors | commune_codes)
    buffer = io.BytesIO()
    forecast_xlsx(result, all_communes, buffer, units=shown)
    name = f"du-bao-{campaign.code}-{result.as_of:%Y-%m-%d}.xlsx"
    return FileResponse(io.BytesIO(buffer.getvalue()), as_attachment=True, filename=name, content_type=XLSX)
