"""The forecast of a campaign (docs/monitoring.md): the standings' own inputs read once, then the pure forecast.

The competitors' and the teams' forecasts come from the standings of the same date (`campaign_standings`, kept per
process and brought up to date after each act); the communes' from one GROUP BY commune over the intake. A result is
kept per process for the standings it stands on; the rows an act did not touch keep their forecast (`_MEMOS`). The
communes' are read apart (`commune_forecasts`), for the pages that show them.
"""

import dataclasses
import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass
from fractions import Fraction

from django.db import connection

from thidua.campaigns.models import Campaign
from thidua.intake.models import EligiblePopulation, IntakeRecord
from thidua.scoring import core
from thidua.scoring import forecast as model
from thidua.standings.selectors import CampaignStandings, campaign_standings, default_as_of
from thidua.territory.models import AdminUnit


class BeforeStart(ValueError):
    """A forecast was asked for a date before the campaign starts."""


@dataclass(frozen=True)
class GroupForecast:
    code: str
    name: str
    forecasts: tuple[model.Forecast, ...]  # in the standings' order
    projected: core.Standings  # the projected final standings (each keeping its pace to the deadline)


@dataclass(frozen=True)
class CommuneForecast:
    pk: int
    code: str
    name: str
    district: str
    eligible: int
    intake: int
    forecast: model.Forecast

    @property
    def coverage(self) -> Fraction | None:
        return Fraction(self.intake, self.eligible) if self.eligible else None


@dataclass(frozen=True)
class CampaignForecast:
    standings: CampaignStandings
    as_of: dt.date
    window_days: int
    groups: tuple[GroupForecast, ...]
    teams: tuple[model.Forecast, ...]

    @property
    def campaign(self) -> Campaign:
        return self.standings.campaign

    def competitors(self):
        """Yield (group, forecast) for every competitor, in the standings' order."""
        for g in self.groups:
            for f in g.forecasts:
                yield g, f

    def at_risk(self) -> list[tuple[GroupForecast, model.Forecast]]:
        return [(g, f) for g, f in self.competitors() if f.at_risk]


_KEPT: OrderedDict[tuple, CampaignForecast] = OrderedDict()
_KEPT_MAX = 4
_kept_lock = threading.Lock()


def forecast_date(campaign: Campaign, as_of: dt.date | None = None) -> dt.date:
    """Return the forecast's date E: the date asked, or today, capped at the deadline; refuse one before the start."""
    as_of = min(as_of or default_as_of(campaign), campaign.config.deadline)
    if as_of < campaign.config.start:
        raise BeforeStart(as_of)
    return as_of


def campaign_forecast(campaign: Campaign, as_of: dt.date | None = None) -> CampaignForecast:
    """Return the forecast of every competitor, team and commune of a campaign as of a date (default today).

    Raise BeforeStart for a date before the campaign's start.
    """
    as_of = forecast_date(campaign, as_of)
    standings = campaign_standings(campaign, as_of)
    # Kept per standings brought up to date (their place in the history and when): the forecast of standings served
    # stale while another request updates them is as stale as they are, and says so with them.
    key = (campaign.pk, campaign.updated_at, as_of, standings.seq, standings.computed_at)
    with _kept_lock:
        kept = _KEPT.get(key)
        if kept is not None:
            _KEPT.move_to_end(key)
    if kept is not None:
        return dataclasses.replace(kept, standings=standings)
    result = _campaign_forecast(campaign, as_of, standings)
    with _kept_lock:
        _KEPT[key] = result
        while len(_KEPT) > _KEPT_MAX:
            _KEPT.popitem(last=False)
    return result


def forget_forecasts() -> None:
    with _kept_lock:
        _KEPT.clear()
        _MEMOS.clear()


# What was computed per row, to reuse after an act for the rows it did not touch (`model.forecast_standings`), per
# campaign, settings and date; dropped when the standings were read again from nothing (their assignments are then
# another tuple: a row's quota parts may have changed with its quota the same).
_MEMOS: OrderedDict[tuple, tuple[object, dict]] = OrderedDict()


def _memo(campaign: Campaign, as_of: dt.date, assignments: tuple, part: str) -> dict:
    key = (campaign.pk, campaign.updated_at, as_of, part)
    with _kept_lock:
        seen = _MEMOS.get(key)
        if seen is None or seen[0] is not assignments:
            seen = _MEMOS[key] = (assignments, {})
        _MEMOS.move_to_end(key)
        while len(_MEMOS) > 4 * _KEPT_MAX * 8:
            _MEMOS.popitem(last=False)
        return seen[1]


def _campaign_forecast(campaign: Campaign, as_of: dt.date, standings: CampaignStandings) -> CampaignForecast:
    config = campaign.config
    settings = config.monitoring
    period = standings.inputs.period
    options = {"window_days": settings.window_days, "watch_days": settings.watch_days}
    groups = []
    assignments = standings.inputs.assignments

    def memo(part: str) -> dict:
        return _memo(campaign, as_of, assignments, part)

    for g, spec in zip(standings.groups, config.groups, strict=True):
        if g.standings is None:
            continue
        forecasts = model.forecast_standings(g.standings, period, memo=memo(g.code), **options)
        projected = model.projected_final(g.standings, forecasts, period, spec.tiers, memo=memo(g.code))
        groups.append(GroupForecast(g.code, g.name, forecasts, projected))
    teams = model.forecast_standings(standings.teams, period, memo=memo("\0teams"), **options)
    teams = tuple(sorted(teams, key=lambda f: f.code))
    return CampaignForecast(standings, as_of, model.window(period.start, as_of, settings.window_days)[1],
                            tuple(groups), teams)


def _commune_totals(campaign: Campaign, start: dt.date, as_of: dt.date, window_first: dt.date,
                    blocks: list[tuple[dt.date, dt.date]]) -> dict[int, tuple[int, int, list[int]]]:
    """Return, for each commune with intake, its intake in [S, E], that of the pace's window and those of the
    blocks: one GROUP BY commune that sums in the database (a national campaign has a million commune-days).

    Every day's condition is inside the sums, none in WHERE: so the index `intake_commune_day_totals` is read in its
    order, alone (a range on the day in WHERE made SQLite read the records and sort them: 4× slower)."""
    qn = connection.ops.quote_name
    table, commune, day, n, campaign_id = (qn(IntakeRecord._meta.db_table), *(
        qn(IntakeRecord._meta.get_field(f).column) for f in ("commune", "day", "applications", "campaign")))
    spans = [(start, as_of), (window_first, as_of), *blocks]
    sums = ", ".join(f"SUM(CASE WHEN {day} BETWEEN %s AND %s THEN {n} ELSE 0 END)" for _ in spans)
    params = [start, as_of, *(d for span in spans for d in span), campaign.pk]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {commune}, SUM(CASE WHEN {day} BETWEEN %s AND %s THEN 1 ELSE 0 END), {sums} "
                       f"FROM {table} WHERE {campaign_id} = %s GROUP BY {commune}", params)
        return {row[0]: (row[2], row[3], list(row[4:])) for row in cursor.fetchall() if row[1]}


def _completion_days(campaign: Campaign, start: dt.date, as_of: dt.date) -> dict[int, dt.date]:
    """Return the day each commune's cumulative intake first reached its eligible residents (those that did): a
    running sum over its days in the database, one row per commune."""
    qn = connection.ops.quote_name
    table, commune, day, n, campaign_id = (qn(IntakeRecord._meta.db_table), *(
        qn(IntakeRecord._meta.get_field(f).column) for f in ("commune", "day", "applications", "campaign")))
    population = qn(EligiblePopulation._meta.db_table)
    p_commune, p_campaign, people = (qn(EligiblePopulation._meta.get_field(f).column)
                                     for f in ("commune", "campaign", "people"))
    sql = (f"SELECT t.c, MIN(t.d) FROM (SELECT {commune} AS c, {day} AS d, SUM(SUM({n})) OVER "
           f"(PARTITION BY {commune} ORDER BY {day}) AS cum FROM {table} WHERE {campaign_id} = %s AND {day} "
           f"BETWEEN %s AND %s GROUP BY {commune}, {day}) t JOIN {population} p ON p.{p_commune} = t.c AND "
           f"p.{p_campaign} = %s WHERE p.{people} > 0 AND t.cum >= p.{people} GROUP BY t.c")
    with connection.cursor() as cursor:
        cursor.execute(sql, [campaign.pk, start, as_of, campaign.pk])
        return {c: d if isinstance(d, dt.date) else dt.date.fromisoformat(d) for c, d in cursor.fetchall()}


def commune_forecasts(campaign: Campaign, as_of: dt.date) -> tuple[CommuneForecast, ...]:
    """Return the forecast of coverage of each commune with an eligible-population row or with intake, as of the
    forecast's date (`CampaignForecast.as_of`): the sums per commune in the database (three to four queries,
    whatever the number of days). Apart from the competitors' forecast: the home pages' alerts do without it."""
    config = campaign.config
    settings = config.monitoring
    start, deadline = config.start, config.deadline
    window_first = model.window(start, as_of, settings.window_days)[0]
    blocks = model.blocks(start, as_of)
    totals = _commune_totals(campaign, start, as_of, window_first, blocks)
    eligible = dict(EligiblePopulation.objects.filter(campaign=campaign).values_list("commune_id", "people"))
    done = any(eligible.get(pk, 0) and total[0] >= eligible[pk] for pk, total in totals.items())
    completed = _completion_days(campaign, start, as_of) if done else {}
    ids = set(totals) | set(eligible)
    names = {pk: (code, name, parent or "") for pk, code, name, parent in
             AdminUnit.objects.filter(pk__in=ids).values_list("id", "code", "name", "parent__name")}
    found = []
    for pk in ids:
        code, name, district = names[pk]
        people = eligible.get(pk, 0)
        intake, in_window, in_blocks = totals.get(pk, (0, 0, [0] * len(blocks)))
        f = model.forecast_from_totals(
            code=code, name=name, quota=people, intake=intake, window_intake=in_window, block_intakes=in_blocks,
            completed_on=completed.get(pk), start=start, deadline=deadline, as_of=as_of,
            window_days=settings.window_days, watch_days=settings.watch_days, noun="người")
        found.append(CommuneForecast(pk, code, name, district, people, f.intake, f))
    return tuple(sorted(found, key=lambda c: c.code))
