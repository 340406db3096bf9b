"""The campaign replayed day by day: each group's standings as they stood at the end of a day, with each
competitor's move since the day before.

Nothing is stored per day in the database. The scoring's inputs hold every day of the campaign (`scoring_inputs`
does not cut them at the date asked), and they come with the live standings, kept until the history moves: a day is
two runs of the pure scoring core over them (the day and the day before). Each run is kept beside those inputs in
this process, so that the slider going back and forth scores each day once while the data does not change.
"""

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass

from thidua.campaigns.models import Campaign
from thidua.scoring import core

from .selectors import CampaignStandings, ScoringInputs, team_codes_below

# The rank chart shows one point a week (and the last day): a line per competitor that the eye can follow.
CHART_STEP_DAYS = 7


def replay_span(campaign: Campaign, today: dt.date) -> tuple[dt.date, dt.date] | None:
    """Return the first and last days that can be replayed (the start, and today capped at the deadline), or None
    before the campaign starts."""
    last = min(today, campaign.deadline)
    return (campaign.start, last) if last >= campaign.start else None


@dataclass(frozen=True)
class ReplayRow:
    standing: core.Standing
    day_intake: int  # the applications of that day
    previous_rank: int | None  # the rank of the day before (None: the first day, or not ranked then)
    first_day: bool

    @property
    def change(self) -> int | None:
        """Return how many places the competitor rose since the day before (negative: fell), or None when there is
        nothing to compare."""
        if self.first_day or self.standing.rank is None or self.previous_rank is None:
            return None
        return self.previous_rank - self.standing.rank

    @property
    def moved_up(self) -> int:
        return max(self.change or 0, 0)

    @property
    def moved_down(self) -> int:
        return max(-(self.change or 0), 0)

    @property
    def newly_ranked(self) -> bool:
        """Say whether the competitor is ranked today but was not the day before (its quota was still 0)."""
        return not self.first_day and self.standing.rank is not None and self.previous_rank is None


@dataclass(frozen=True)
class ReplayGroup:
    code: str
    name: str
    rows: tuple[ReplayRow, ...]


@dataclass(frozen=True)
class ReplayDay:
    day: dt.date
    first: dt.date
    last: dt.date
    groups: tuple[ReplayGroup, ...]

    @property
    def number(self) -> int:
        """Return the day's place in the campaign: 1 for its first day (the slider's value)."""
        return (self.day - self.first).days + 1

    @property
    def count(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def previous(self) -> dt.date | None:
        return self.day - dt.timedelta(days=1) if self.day > self.first else None

    @property
    def next(self) -> dt.date | None:
        return self.day + dt.timedelta(days=1) if self.day < self.last else None


@dataclass(frozen=True)
class _Group:
    code: str
    name: str
    tiers: tuple
    competitors: tuple[core.Competitor, ...]


# Per campaign: the scoring inputs last seen (the very object the kept standings hold) and what was computed from
# them, by key. Inputs of another identity mean that the history moved: everything computed before is dropped, so
# that no old inputs stay alive here (a national campaign's weigh some tens of MiB).
_KEPT: dict[int, tuple[ScoringInputs, dict]] = {}
_kept_lock = threading.Lock()


def _kept(result: CampaignStandings, key: tuple, compute: Callable[[], object]):
    """Return compute(), computed once per key for the inputs of these standings."""
    inputs = result.inputs
    with _kept_lock:
        seen = _KEPT.get(result.campaign.pk)
        if seen is None or seen[0] is not inputs:
            seen = _KEPT[result.campaign.pk] = (inputs, {})
        if key in seen[1]:
            return seen[1][key]
    value = compute()
    with _kept_lock:
        seen[1][key] = value
    return value


def _scored_groups(result: CampaignStandings) -> list[_Group]:
    """Return each ranked group with its competitors, as the live standings found them."""
    return _kept(result, ("groups",), lambda: _groups_of(result))


def _groups_of(result: CampaignStandings) -> list[_Group]:
    below = team_codes_below(result.inputs.units)
    ids = {code: pk for pk, (code, *_rest) in result.inputs.units.items()}
    tiers = {g.code: g.tiers for g in result.campaign.config.groups}
    return [_Group(g.code, g.name, tiers.get(g.code, ()),
                   tuple(core.Competitor(s.code, s.name, below[ids[s.code]]) for s in g.standings.rows))
            for g in result.groups if g.standings is not None]


def _score(result: CampaignStandings, group: _Group, day: dt.date) -> core.Standings:
    """Return a group's standings at the end of a day, scored once per day while the data does not change."""
    inputs = result.inputs
    return _kept(result, (group.code, day), lambda: core.score_daily(
        competitors=group.competitors, by_team=inputs.by_team, team_daily=inputs.team_daily, period=inputs.period,
        scale=result.campaign.config.scale, as_of=day, tiers=group.tiers))


def replay_day(result: CampaignStandings, span: tuple[dt.date, dt.date], day: dt.date) -> ReplayDay:
    """Return every ranked group's standings at the end of `day` (inside `span`), each competitor with its rank of
    the day before."""
    first, last = span
    groups = []
    for group in _scored_groups(result):
        today = _score(result, group, day)
        before = _score(result, group, day - dt.timedelta(days=1)).by_code() if day > first else {}
        rows = []
        for s in today.rows:
            applications = s.days[-1].applications if s.days and s.days[-1].day == day else 0
            previous = before.get(s.code)
            rows.append(ReplayRow(s, applications, previous.rank if previous else None, day == first))
        groups.append(ReplayGroup(group.code, group.name, tuple(rows)))
    return ReplayDay(day, first, last, tuple(groups))


@dataclass(frozen=True)
class RankSeries:
    """One group's ranks over the campaign: `ranks[i][j]` is competitor i's rank on `days[j]` (None: not ranked)."""

    code: str
    name: str
    days: tuple[dt.date, ...]
    names: tuple[str, ...]
    ranks: tuple[tuple[int | None, ...], ...]


def chart_days(span: tuple[dt.date, dt.date]) -> tuple[dt.date, ...]:
    """Return the days the rank chart shows: the first, then every CHART_STEP_DAYS days, and the last."""
    first, last = span
    days = [first + dt.timedelta(days=n) for n in range(0, (last - first).days + 1, CHART_STEP_DAYS)]
    if days[-1] != last:
        days.append(last)
    return tuple(days)


def rank_series(result: CampaignStandings, span: tuple[dt.date, dt.date]) -> tuple[RankSeries, ...]:
    """Return each ranked group's ranks on the chart's days, competitors in the order of the last day."""
    days = chart_days(span)
    series = []
    for group in _scored_groups(result):
        tables = [_score(result, group, day).by_code() for day in days]
        order = list(tables[-1])  # the rows' order of the last day
        names = {c.code: c.name for c in group.competitors}
        series.append(RankSeries(group.code, group.name, days, tuple(names[code] for code in order),
                                 tuple(tuple(table[code].rank for table in tables) for code in order)))
    return tuple(series)
