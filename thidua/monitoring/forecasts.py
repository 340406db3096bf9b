"""The forecast of a campaign (docs/monitoring.md): the standings' own inputs read once, then the pure forecast.

The competitors' and the teams' forecasts come from the standings of the same date (`campaign_standings`, kept per
process and brought up to date after each act); the communes' from one GROUP BY commune over the commune-day
totals. A result is kept per process for the standings it stands on; the rows an act did not touch keep their
forecast (`_MEMOS`). The communes' are read apart (`commune_forecasts`), for the pages that show them.
"""

import dataclasses
import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass
from fractions import Fraction

from django.db import connection

from thidua.campaigns.models import Campaign
from thidua.intake.models import CommuneDayTotal, EligiblePopulation
from thidua.scoring import core
from thidua.scoring import forecast as model
from thidua.standings.selectors import (
    WAIT_FOR_UPDATE_S,
    CampaignStandings,
    campaign_standings,
    default_as_of,
    history_place,
)
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
    # One computation at a time per campaign and date, as for the standings: a reader waits for another's a moment,
    # then gets the latest forecast kept (with the standings it stands on, which say how fresh they are).
    lock = _lock_of((campaign.pk, campaign.updated_at, as_of))
    if not lock.acquire(timeout=WAIT_FOR_UPDATE_S):
        latest = _latest_of(campaign, as_of)
        if latest is not None:
            return dataclasses.replace(latest, standings=dataclasses.replace(latest.standings, campaign=campaign,
                                                                             stale=True))
        lock.acquire()
    try:
        with _kept_lock:
            kept = _KEPT.get(key)
        result = kept if kept is not None else _campaign_forecast(campaign, as_of, standings)
    finally:
        lock.release()
    with _kept_lock:
        # The latest only per campaign, settings and date: a forecast of standings an act has since brought further
        # is not asked for again, and would hold the rows that act superseded (issue 12).
        for other in [k for k in _KEPT if k[:3] == key[:3] and k != key]:
            if _place(other) < _place(key):
                del _KEPT[other]
            else:
                return result  # a later one is kept already: this one is served, not kept
        _KEPT[key] = result
        while len(_KEPT) > _KEPT_MAX:
            _KEPT.popitem(last=False)
    return result


def _place(key: tuple) -> tuple[int, float]:
    """Return how far a kept forecast's standings had come: their place in the history, then when (none: first)."""
    return key[3], key[4].timestamp() if key[4] is not None else float("-inf")


_LOCKS: dict[tuple, threading.Lock] = {}


def _lock_of(key: tuple) -> threading.Lock:
    with _kept_lock:
        if len(_LOCKS) > 64:
            _LOCKS.clear()
        return _LOCKS.setdefault(key, threading.Lock())


def _latest_of(campaign: Campaign, as_of: dt.date) -> CampaignForecast | None:
    """Return the forecast kept last for a campaign's settings and a date, whatever the standings' place."""
    with _kept_lock:
        found = [v for k, v in _KEPT.items() if k[:3] == (campaign.pk, campaign.updated_at, as_of)]
    return found[-1] if found else None


def forget_forecasts() -> None:
    with _kept_lock:
        _KEPT.clear()
        _MEMOS.clear()
        _COMMUNES.clear()


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
                    blocks: list[tuple[dt.date, dt.date]], only: set[int] | None = None
                    ) -> dict[int, tuple[int, int, list[int]]]:
    """Return, for each commune with intake in [S, E] (of `only`, when given), its intake, that of the pace's window
    and those of the blocks: one GROUP BY commune over the commune-day totals (`CommuneDayTotal`, kept by the
    database: a commune of a province has a hundred thousand records at a national volume, a total per day).

    Every day's condition is inside the sums, none in WHERE: so the index `commune_day_total_sums` is read in its
    order, alone (a range on the day in WHERE made SQLite read the rows and sort them)."""
    qn = connection.ops.quote_name
    table, commune, day, n, campaign_id = (qn(CommuneDayTotal._meta.db_table), *(
        qn(CommuneDayTotal._meta.get_field(f).column) for f in ("commune", "day", "applications", "campaign")))
    spans = [(start, as_of), (window_first, as_of), *blocks]
    sums = ", ".join(f"SUM(CASE WHEN {day} BETWEEN %s AND %s THEN {n} ELSE 0 END)" for _ in spans)
    params = [start, as_of, *(d for span in spans for d in span), campaign.pk]
    found = {}
    with connection.cursor() as cursor:
        for where, more in _only(commune, only):
            cursor.execute(f"SELECT {commune}, SUM(CASE WHEN {day} BETWEEN %s AND %s THEN 1 ELSE 0 END), {sums} "
                           f"FROM {table} WHERE {campaign_id} = %s{where} GROUP BY {commune}", params + more)
            # PostgreSQL sums a bigint into a numeric (a Decimal): the model's sums are integers.
            found.update({row[0]: (int(row[2]), int(row[3]), [int(n) for n in row[4:]])
                          for row in cursor.fetchall() if row[1]})
    return found


def _only(column: str, only: set[int] | None, chunk: int = 500):
    """Yield (an SQL condition on `column`, its parameters): none for every commune, else `only` in chunks."""
    if only is None:
        yield "", []
        return
    ids = sorted(only)
    for i in range(0, len(ids), chunk):
        part = ids[i:i + chunk]
        yield f" AND {column} IN ({', '.join(['%s'] * len(part))})", part


def _completion_days(campaign: Campaign, start: dt.date, as_of: dt.date,
                     only: set[int] | None = None) -> dict[int, dt.date]:
    """Return the day each commune (of `only`, when given) whose cumulative intake reached its eligible residents
    first did: a running sum over its days' totals in the database, one row per commune."""
    qn = connection.ops.quote_name
    table, commune, day, n, campaign_id = (qn(CommuneDayTotal._meta.db_table), *(
        qn(CommuneDayTotal._meta.get_field(f).column) for f in ("commune", "day", "applications", "campaign")))
    population = qn(EligiblePopulation._meta.db_table)
    p_commune, p_campaign, people = (qn(EligiblePopulation._meta.get_field(f).column)
                                     for f in ("commune", "campaign", "people"))
    sql = (f"SELECT t.c, MIN(t.d) FROM (SELECT {commune} AS c, {day} AS d, SUM({n}) OVER "
           f"(PARTITION BY {commune} ORDER BY {day}) AS cum FROM {table} WHERE {campaign_id} = %s AND {day} "
           f"BETWEEN %s AND %s{{where}}) t JOIN {population} p ON p.{p_commune} = t.c AND "
           f"p.{p_campaign} = %s WHERE p.{people} > 0 AND t.cum >= p.{people} GROUP BY t.c")
    found = {}
    with connection.cursor() as cursor:
        for where, more in _only(commune, only):
            cursor.execute(sql.format(where=where), [campaign.pk, start, as_of, *more, campaign.pk])
            found.update({c: d if isinstance(d, dt.date) else dt.date.fromisoformat(d) for c, d in cursor.fetchall()})
    return found


@dataclass
class _Communes:
    """The communes' forecast of a campaign as of a date, kept by this process, and what brings it up to date."""

    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)
    head: tuple[int, str] | None = None
    epoch: int = -1
    totals: dict = dataclasses.field(default_factory=dict)  # commune id -> (intake, window's, blocks')
    completed: dict = dataclasses.field(default_factory=dict)  # commune id -> the day it reached its residents
    eligible: dict = dataclasses.field(default_factory=dict)
    names: dict = dataclasses.field(default_factory=dict)  # commune id -> (code, name, district)
    result: tuple[CommuneForecast, ...] = ()


_COMMUNES: OrderedDict[tuple, _Communes] = OrderedDict()
ACTS_READ_MAX = 5_000  # acts since the place known past which the communes are all summed again


def commune_forecasts(campaign: Campaign, as_of: dt.date) -> tuple[CommuneForecast, ...]:
    """Return the forecast of coverage of each commune with an eligible-population row or with intake, as of the
    forecast's date (`CampaignForecast.as_of`), in the order of their codes.

    Kept per process like the standings: after an act, only the communes whose records the acts since wrote (and
    those whose residents changed) are summed again; all of them when the campaign's epoch moved (a record deleted
    or moved: see TotalsEpoch). The sums are made in the database, whatever the number of days. Apart from the
    competitors' forecast: the home pages' alerts do without it."""
    key = (campaign.pk, campaign.updated_at, as_of)
    head, epoch = history_place(campaign)
    with _kept_lock:
        kept = _COMMUNES.get(key)
        if kept is None:
            kept = _COMMUNES[key] = _Communes()
        _COMMUNES.move_to_end(key)
        while len(_COMMUNES) > _KEPT_MAX:
            _COMMUNES.popitem(last=False)
    if kept.head == head:
        return kept.result
    if not kept.lock.acquire(blocking=False):
        if kept.head is not None:
            return kept.result  # being brought up to date by another request: no waiting behind it
        kept.lock.acquire()
        head, epoch = history_place(campaign)
    try:
        _bring_communes(kept, campaign, as_of, head, epoch)
    finally:
        kept.lock.release()
    return kept.result


def _bring_communes(kept: _Communes, campaign: Campaign, as_of: dt.date, head: tuple[int, str], epoch: int) -> None:
    """Bring `kept` up to the chain's `head` (under its lock)."""
    config = campaign.config
    settings = config.monitoring
    start, deadline = config.start, config.deadline
    window_first = model.window(start, as_of, settings.window_days)[0]
    blocks = model.blocks(start, as_of)
    eligible = dict(EligiblePopulation.objects.filter(campaign=campaign).values_list("commune_id", "people"))
    if kept.head is not None and head[0] < kept.head[0]:
        head, epoch = history_place(campaign)  # another request went past the head read: as for the standings
    changed: set[int] | None = None  # None: every commune
    if kept.head is not None and epoch == kept.epoch and head[0] > kept.head[0]:
        changed = _communes_changed_since(campaign, kept.head)
        if changed is not None:
            changed |= {pk for pk in eligible.keys() | kept.eligible.keys()
                        if eligible.get(pk) != kept.eligible.get(pk)}
    if changed is None:
        totals = _commune_totals(campaign, start, as_of, window_first, blocks)
        done = {pk for pk, total in totals.items() if eligible.get(pk, 0) and total[0] >= eligible[pk]}
        kept.totals, kept.completed = totals, (_completion_days(campaign, start, as_of) if done else {})
    elif changed:
        fresh = _commune_totals(campaign, start, as_of, window_first, blocks, only=changed)
        for pk in changed:
            kept.totals.pop(pk, None)
            kept.completed.pop(pk, None)
        kept.totals.update(fresh)
        done = {pk for pk, total in fresh.items() if eligible.get(pk, 0) and total[0] >= eligible[pk]}
        if done:
            kept.completed.update(_completion_days(campaign, start, as_of, only=done))
    kept.eligible = eligible
    ids = set(kept.totals) | set(eligible)
    missing = ids - kept.names.keys()
    if missing:
        kept.names.update({pk: (code, name, parent or "") for pk, code, name, parent in
                           AdminUnit.objects.filter(pk__in=missing).values_list("id", "code", "name", "parent__name")})
    before = {c.pk: c for c in kept.result} if changed is not None else {}
    found = []
    for pk in ids:
        if pk in before and pk not in changed:
            found.append(before[pk])
            continue
        code, name, district = kept.names[pk]
        people = eligible.get(pk, 0)
        intake, in_window, in_blocks = kept.totals.get(pk, (0, 0, [0] * len(blocks)))
        f = model.forecast_from_totals(
            code=code, name=name, quota=people, intake=intake, window_intake=in_window, block_intakes=in_blocks,
            completed_on=kept.completed.get(pk), start=start, deadline=deadline, as_of=as_of,
            window_days=settings.window_days, watch_days=settings.watch_days, noun="người")
        found.append(CommuneForecast(pk, code, name, district, people, f.intake, f))
    kept.result = tuple(sorted(found, key=lambda c: c.code))
    kept.head, kept.epoch = head, epoch


def _communes_changed_since(campaign: Campaign, place: tuple[int, str]) -> set[int] | None:
    """Return the communes whose day totals the acts after `place` changed (None if the act at `place` is not there
    any more: a database restored, a test rolled back)."""
    table = connection.ops.quote_name(CommuneDayTotal._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute("SELECT hash FROM audit_changeset WHERE seq = %s", [place[0]])
        row = cursor.fetchone()
        if place[0] and (row is None or row[0] != place[1]):
            return None
        # The acts first (few, by their place's index), then their totals (by the totals' index on their act): a
        # join let the planner read the campaign's totals instead.
        cursor.execute("SELECT id FROM audit_changeset WHERE seq > %s AND campaign_id = %s", [place[0], campaign.pk])
        acts = [row[0] for row in cursor.fetchall()]
        if len(acts) > ACTS_READ_MAX:
            return None  # so many acts since: everything is read again, at the same cost
        found: set[int] = set()
        for where, more in _only("changed_in_id", set(acts)):
            # An act is its campaign's: so are the totals it changed (the campaign is not asked, so that the index on
            # their act is the one read).
            cursor.execute(f"SELECT commune_id FROM {table}{_by_act_index()} WHERE true{where}", more)
            found.update(row[0] for row in cursor.fetchall())
        return found


def _by_act_index() -> str:
    """Return SQLite's `INDEXED BY` the totals' index on their act: its statistics see most totals last changed by
    one import's act, and it would rather read every total than the index, for the handful of a new act's."""
    if connection.vendor != "sqlite":
        return ""
    return f" INDEXED BY {connection.ops.quote_name('commune_day_total_changed_in')}"
