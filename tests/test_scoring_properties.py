"""Properties of the pure scoring core (docs/scoring.md), checked on generated campaigns with hypothesis."""

import datetime as dt
import math
import random
from collections import defaultdict
from dataclasses import dataclass, replace
from fractions import Fraction
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from thidua.scoring.core import Assignment, Competitor, Standings, TeamDay, by_team_of, score, score_daily, time_points
from thidua.scoring.robustness import redraw, rescore
from thidua.scoring.rules import Period, Scale, Tier

S, D = dt.date(2021, 3, 1), dt.date(2021, 4, 30)  # 61 days
BK = "Bằng khen của Chủ tịch UBND tỉnh"
TIERS = (Tier(1, BK, 10_000_000, 3, 3), Tier(2, BK, 7_000_000, 2, 2), Tier(3, BK, 5_000_000, 1, 1))
SETTINGS = settings(max_examples=150, deadline=None)


def day(offset: int) -> dt.date:
    return S + dt.timedelta(days=offset)


def days(low: int, high: int):
    """Dates from S + low to S + high days."""
    return st.integers(low, high).map(day)


@dataclass(frozen=True)
class World:
    competitors: tuple[Competitor, ...]
    assignments: tuple[Assignment, ...]
    intake: tuple[TeamDay, ...]
    period: Period
    as_of: dt.date

    @property
    def teams(self) -> list[str]:
        return sorted(t for c in self.competitors for t in c.teams)

    def score(self, scale: Scale | None = None, **changes) -> Standings:
        w = replace(self, **changes)
        return score(competitors=w.competitors, assignments=w.assignments, intake=w.intake, period=w.period,
                     scale=scale or Scale(), as_of=w.as_of, tiers=TIERS)


@st.composite
def worlds(draw) -> World:
    n = draw(st.integers(1, 6))
    competitors, assignments = [], []
    for i in range(n):
        teams = tuple(f"U{i}-T{j}" for j in range(draw(st.integers(1, 2))))
        competitors.append(Competitor(f"U{i}", f"Đơn vị {i}", frozenset(teams)))
        for team in teams:
            for _ in range(draw(st.sampled_from((0, 1, 1, 1, 2)))):
                start = draw(days(-10, 70))
                end = start + dt.timedelta(days=draw(st.integers(0, 80)))
                machine = f"M{len(assignments)}"
                if draw(st.booleans()):
                    assignments.append(Assignment(team, machine, start, end, quota=draw(st.integers(0, 1500))))
                else:
                    assignments.append(Assignment(team, machine, start, end, daily_target=draw(st.integers(0, 30))))
    teams = sorted(t for c in competitors for t in c.teams)
    intake = draw(st.lists(st.builds(TeamDay, st.sampled_from(teams), days(-5, 66), st.integers(0, 1200)),
                           max_size=40))
    if draw(st.booleans()):
        # A twin: a competitor whose teams have the same machines and intake as another's, so that ties happen.
        model = draw(st.sampled_from(competitors))
        code = f"U{n}"
        twin = {t: t.replace(model.code, code, 1) for t in model.teams}
        competitors.append(Competitor(code, f"Đơn vị {n}", frozenset(twin.values())))
        assignments += [replace(a, team=twin[a.team], machine=f"M{len(assignments) + i}")
                        for i, a in enumerate(a for a in list(assignments) if a.team in twin)]
        intake += [r._replace(team=twin[r.team]) for r in intake if r.team in twin]
    off = frozenset(draw(st.sets(days(0, 60), max_size=6)))
    return World(tuple(competitors), tuple(assignments), tuple(intake), Period(S, D, off), draw(days(0, 70)))


def totals(standings: Standings) -> dict[str, Fraction]:
    return {s.code: s.total for s in standings.rows}


# --- monotonicity -------------------------------------------------------------------------------------------

@SETTINGS
@given(worlds(), st.data())
def test_more_intake_never_lowers_a_total(world, data):
    extra = data.draw(st.builds(TeamDay, st.sampled_from(world.teams), days(-5, 66), st.integers(0, 600)))
    before, after = totals(world.score()), totals(world.score(intake=(*world.intake, extra)))
    assert all(after[code] >= before[code] for code in before)


@SETTINGS
@given(worlds(), st.data())
def test_earlier_intake_never_lowers_a_total(world, data):
    """Moving applications to an earlier day inside the period completes no later and counts no less."""
    if not world.intake:
        return
    i = data.draw(st.integers(0, len(world.intake) - 1))
    moved = world.intake[i]
    new_day = moved.day - dt.timedelta(days=data.draw(st.integers(1, 40)))
    if moved.day >= S:
        new_day = max(new_day, S)
    intake = list(world.intake)
    intake[i] = moved._replace(day=new_day)
    before, after = world.score(), world.score(intake=tuple(intake))
    assert all(after.by_code()[s.code].total >= s.total for s in before.rows)
    for s in before.rows:
        if s.completed_on is not None:
            assert after.by_code()[s.code].completed_on <= s.completed_on


@SETTINGS
@given(days(0, 60), days(0, 60))
def test_an_earlier_completion_never_lowers_time_points(first, second):
    earlier, later = sorted((first, second))
    assert time_points(earlier, D, Scale())[0] >= time_points(later, D, Scale())[0] >= 10
    assert time_points(None, D, Scale())[0] == 0


# --- independence of order, bounds, ranks -------------------------------------------------------------------

@SETTINGS
@given(worlds(), st.randoms(use_true_random=False))
def test_standings_do_not_depend_on_the_order_of_inputs(world, rng):
    def shuffled(items):
        items = list(items)
        rng.shuffle(items)
        return tuple(items)

    permuted = world.score(competitors=shuffled(world.competitors), assignments=shuffled(world.assignments),
                           intake=shuffled(world.intake))
    assert permuted.rows == world.score().rows


@SETTINGS
@given(worlds(), st.randoms(use_true_random=False))
def test_every_total_is_within_the_scale(world, rng):
    for scale in (Scale(), redraw(Scale(), rng)):
        for s in world.score(scale).rows:
            assert 0 <= s.total <= scale.maximum
            assert 0 <= s.intake_points <= Fraction(scale.intake_points) + Fraction(scale.bonus_max)
            assert s.time_points == 0 or (Fraction(scale.completion_points) <= s.time_points
                                          <= Fraction(scale.completion_points) + Fraction(scale.early_max))


def key(s):
    return (s.total, s.time_points, s.attainment)


@SETTINGS
@given(worlds())
def test_ranks_follow_the_order_key_and_ties_share_ranks(world):
    rows = world.score().rows
    ranked = [s for s in rows if s.rank is not None]
    unranked = [s for s in rows if s.rank is None]
    assert rows == (*ranked, *unranked)  # unranked last
    assert all(s.quota > 0 for s in ranked) and all(s.quota == 0 and not s.eligible for s in unranked)
    assert all(s.setup_error for s in unranked) and not any(s.setup_error for s in ranked)
    assert all(key(a) >= key(b) for a, b in pairwise(ranked))
    assert all(key(a) > key(b) or a.code < b.code for a, b in pairwise(ranked))  # ties in the order of their codes
    for s in ranked:
        assert s.rank == 1 + sum(key(o) > key(s) for o in ranked)
        assert s.tie == any(o is not s and key(o) == key(s) for o in ranked)
        assert s.eligible == (s.completed_on is not None)
    eligible = [s for s in ranked if s.eligible]
    for s in rows:
        if not s.eligible:
            assert s.prize_rank is None and s.tier is None and not s.needs_decision
            continue
        assert s.prize_rank == 1 + sum(key(o) > key(s) for o in eligible)
        sharing = sum(o.prize_rank == s.prize_rank for o in eligible)
        tier = TIERS[s.prize_rank - 1] if s.prize_rank <= len(TIERS) else None
        assert s.tier == tier
        assert s.needs_decision == (tier is not None and sharing > 1)


# --- exact arithmetic against a plain recomputation ---------------------------------------------------------

def recompute(world: World) -> dict[str, tuple]:
    """Recompute every competitor from the inputs, day by day, with integer and Fraction formulas only."""
    as_of = min(world.as_of, D)
    out = {}
    for c in world.competitors:
        quota = 0
        for a in world.assignments:
            if a.team not in c.teams:
                continue
            if a.quota is not None:
                quota += a.quota
            else:
                span = (a.start + dt.timedelta(days=k) for k in range((a.end - a.start).days + 1))
                quota += a.daily_target * sum(1 for x in span if S <= x <= D and x not in world.period.non_working_days)
        cumulative, completed = 0, None
        current = S
        while current <= as_of:
            cumulative += sum(r.applications for r in world.intake if r.team in c.teams and r.day == current)
            if completed is None and quota > 0 and cumulative >= quota:
                completed = current
            current += dt.timedelta(days=1)
        if quota == 0:
            out[c.code] = (0, cumulative, None, 0, 0, 0)
            continue
        r = Fraction(cumulative, quota)
        intake_points = 70 * min(r, 1) + (min(10, math.floor((r - 1) * 20)) if r > 1 else 0)
        time = 0 if completed is None else 10 + min(20, Fraction((D - completed).days, 2))
        out[c.code] = (quota, cumulative, completed, intake_points, time, intake_points + time)
    return out


@SETTINGS
@given(worlds())
def test_arithmetic_is_exact(world):
    standings = world.score()
    assert standings.as_of == min(world.as_of, D)
    expected = recompute(world)
    for s in standings.rows:
        assert all(isinstance(v, Fraction) for v in (s.intake_points, s.time_points, s.total))
        assert (s.quota, s.intake, s.completed_on, s.intake_points, s.time_points, s.total) == expected[s.code]
        if s.quota:
            assert isinstance(s.attainment, Fraction) and s.attainment == Fraction(s.intake, s.quota)
        assert s.total == sum((line.points for line in s.lines), Fraction(0))


@SETTINGS
@given(worlds(), days(61, 200))
def test_scoring_after_the_deadline_is_scoring_at_the_deadline(world, late):
    assert world.score(as_of=late).rows == world.score(as_of=D).rows


# --- robustness ---------------------------------------------------------------------------------------------

@SETTINGS
@given(worlds(), st.integers(0, 2**32))
def test_a_redraw_with_no_spread_changes_nothing(world, seed):
    scale = redraw(Scale(), random.Random(seed), spread=0)
    assert scale.maximum == Scale().maximum
    base = world.score()
    assert world.score(scale).rows == base.rows
    assert rescore(base, scale, D, TIERS) == {s.code: (s.prize_rank, s.tier.rank if s.tier else None)
                                              for s in base.rows}


@SETTINGS
@given(worlds(), st.data())
def test_scoring_again_only_the_competitors_whose_teams_changed_gives_the_whole_scoring(world, data):
    # What a process keeping the standings does after an act (thidua/standings/selectors.py): the days of a few
    # teams change; only their competitors are measured again, the rest kept from the standings before.
    before = world.score()
    changed = frozenset(data.draw(st.sets(st.sampled_from(world.teams), max_size=3)))
    more = data.draw(st.lists(st.builds(TeamDay, st.sampled_from(sorted(changed)), days(-5, 66),
                                        st.integers(0, 1200)), max_size=8)) if changed else []
    kept = [r for r in world.intake if r.team not in changed or data.draw(st.booleans())]
    after = replace(world, intake=tuple(kept + more))
    moved = changed & ({r.team for r in world.intake} | {r.team for r in more})
    daily = defaultdict(lambda: defaultdict(int))
    for r in after.intake:
        daily[r.team][r.day] += r.applications
    again = score_daily(competitors=after.competitors, by_team=by_team_of(after.assignments), team_daily=daily,
                        period=after.period, scale=Scale(), as_of=after.as_of, tiers=TIERS, previous=before,
                        changed=moved)
    assert again == after.score()
