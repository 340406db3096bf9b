"""The forecast of docs/monitoring.md, worked by hand on small tables, then its properties over random series.

Each hand-worked case writes its arithmetic in its comment, so that anyone can check it on paper.
"""

import datetime as dt
import math
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from thidua.scoring import core
from thidua.scoring import forecast as fc
from thidua.scoring.rules import Period, Scale

S, D = dt.date(2021, 3, 1), dt.date(2021, 3, 31)
PERIOD = Period(S, D)


def day(n: int) -> dt.date:
    """Return the n-th of March 2021."""
    return dt.date(2021, 3, n)


def run(daily, quota, as_of, window_days=14, watch_days=7, **kw):
    return fc.forecast(code="A", name="A", quota=quota, daily=daily, start=S, deadline=D, as_of=as_of,
                       window_days=window_days, watch_days=watch_days, **kw)


def test_a_steady_competitor_short_of_its_quota_is_at_risk_with_its_numbers():
    # 20 a day from 01/03 to 20/03: I = 400, W = 1000 − 400 = 600, w = min(14, 20) = 14, P = 14×20/14 = 20,
    # N = 600 / (31 − 20) = 54,5454…, projected 20/03 + ⌈600/20⌉ = 20/03 + 30 days = 19/04 > 31/03: at risk.
    f = run({day(n): 20 for n in range(1, 21)}, 1000, day(20))
    assert (f.intake, f.remaining, f.pace, f.required_pace) == (400, 600, 20, Fraction(600, 11))
    assert f.projected_on == dt.date(2021, 4, 19) and f.at_risk and not f.watch
    # Blocks inside [S, E]: 14–20/03 and 07–13/03 (the one ending 06/03 starts on 28/02, before S): both 20 a day.
    assert f.band == (dt.date(2021, 4, 19), dt.date(2021, 4, 19))
    assert fc.fixed(f.required_pace, 2) == "54.55"
    assert "600 hồ sơ" in f.reason and "19/04/2021" in f.reason and "trễ 19 ngày" in f.reason
    assert "54,55" in f.reason


def test_the_window_is_shorter_at_the_start_and_the_band_uses_whole_blocks_only():
    # n×10 on day n, 01–10/03: I = 550, w = min(14, 10) = 10, P = 55, W = 450, ⌈450/55⌉ = ⌈8,18⌉ = 9 → 19/03,
    # N = 450/21. Watch starts at 31 − 7 = 24/03: not watched. One block inside: 04–10/03, 40+…+100 = 490, 70 a day,
    # ⌈450/70⌉ = ⌈6,43⌉ = 7 → 17/03 both ends.
    f = run({day(n): 10 * n for n in range(1, 11)}, 1000, day(10))
    assert (f.pace, f.required_pace, f.projected_on) == (55, Fraction(450, 21), day(19))
    assert not f.at_risk and not f.watch and f.band == (day(17), day(17))
    assert "trước hạn 12 ngày" in f.reason


def test_finishing_in_the_last_week_is_watched():
    # 40 a day 01–20/03: I = 800, W = 200, P = 40, ⌈200/40⌉ = 5 → 25/03, inside [24/03, 31/03]: watched.
    f = run({day(n): 40 for n in range(1, 21)}, 1000, day(20))
    assert f.projected_on == day(25) and f.watch and not f.at_risk
    assert "chỉ 6 ngày trước hạn" in f.reason


def test_the_band_takes_the_fastest_and_the_slowest_week():
    # 10 a day 01–14/03, 30 a day 15–28/03; E = 28/03, W = 1000 − 560 = 440.
    # Blocks ending 28, 21, 14, 7/03: paces 30, 30, 10, 10 → earliest ⌈440/30⌉ = 15 → 12/04, latest 44 → 11/05.
    # P (14 days) = 30 → 12/04 as well.
    daily = {day(n): 10 if n <= 14 else 30 for n in range(1, 29)}
    f = run(daily, 1000, day(28))
    assert f.band == (dt.date(2021, 4, 12), dt.date(2021, 5, 11)) and f.projected_on == dt.date(2021, 4, 12)


def test_work_left_on_the_deadline_is_unreachable():
    f = run({day(n): 10 for n in range(1, 32)}, 1000, D)
    assert f.required_pace == fc.UNREACHABLE and f.at_risk
    assert f.projected_on == D + dt.timedelta(days=69)  # W = 690, P = 10


def test_no_intake_in_the_window_projects_nothing():
    f = run({day(1): 500}, 1000, day(20))
    assert f.pace == 0 and f.projected_on is None and f.at_risk
    assert "không thu nhận được hồ sơ nào" in f.reason


def test_a_projection_past_a_year_after_the_deadline_is_none():
    # W = 999, P = 1/14: ⌈999 × 14⌉ = 13.986 days, far past D + 366.
    f = run({day(20): 1}, 1000, day(20))
    assert f.pace == Fraction(1, 14) and f.projected_on is None and f.at_risk
    assert f.band == (None, None)  # the only block inside has one application: 1/7 a day → past the horizon too


def test_a_competitor_done_keeps_its_completion_day_and_no_flag():
    # 100 a day: cumulative 1000 on 10/03.
    f = run({day(n): 100 for n in range(1, 16)}, 1000, day(15))
    assert (f.remaining, f.required_pace, f.projected_on, f.band) == (0, None, day(10), (day(10), day(10)))
    assert not f.at_risk and not f.watch and f.completed_on == day(10)


def test_no_quota_no_forecast():
    f = run({day(1): 100}, 0, day(15))
    assert (f.remaining, f.pace, f.required_pace, f.projected_on, f.band) == (None, None, None, None, (None, None))
    assert not f.at_risk and not f.watch and f.intake == 100


def test_days_outside_the_period_and_after_the_date_are_not_counted():
    f = run({dt.date(2021, 2, 28): 999, day(1): 10, day(21): 999}, 1000, day(20))
    assert f.intake == 10


def _standings(intakes: dict[str, dict[dt.date, int]], quota: int, as_of: dt.date) -> core.Standings:
    competitors = [core.Competitor(code, code, frozenset({code})) for code in intakes]
    assignments = [core.Assignment(code, f"M-{code}", S, D, quota=quota) for code in intakes]
    rows = [core.TeamDay(code, d, n) for code, series in intakes.items() for d, n in series.items()]
    return core.score(competitors=competitors, assignments=assignments, intake=rows, period=PERIOD, scale=Scale(),
                      as_of=as_of)


def test_to_overtake_on_intake_points_alone():
    # Quota 1000 each on 20/03: A 600 (42 points), B 500 (35). B needs 70 × (500 + x)/1000 > 42 → x > 100 → 101;
    # at x = 100 the keys are equal (42, 0, 0,6), not greater.
    s = _standings({"A": {day(1): 600}, "B": {day(1): 500}}, 1000, day(20))
    assert fc.to_overtake(s, "B", PERIOD) == 101 and fc.to_overtake(s, "A", PERIOD) is None


def test_to_overtake_through_completion_and_bonus_steps():
    # A reached 1000 on 10/03: 70 + 10 + min(20; 0,5 × 21) = 90,5 (time 20,5). B has 900 on 20/03 (63 points).
    # B completing on 20/03: 70 + 10 + 0,5 × 11 = 85,5 (time 15,5); each full 5% above 100% adds 1 (up to 10):
    # 125% gives 90,5 = A's total but less time → not above; 130% gives 91,5 → x = 1300 − 900 = 400.
    s = _standings({"A": {day(10): 1000}, "B": {day(20): 900}}, 1000, day(20))
    assert fc.to_overtake(s, "B", PERIOD) == 400


def test_nothing_can_overtake_a_total_out_of_reach():
    # A completed on 01/03: 70 + 10 + 10 (bonus capped… at 150%: 1500) + min(20; 0,5 × 30 = 15) = 105, time 25.
    # On the deadline B can get at most 70 + 10 + 10 + 0 = 90: none.
    s = _standings({"A": {day(1): 1500}, "B": {day(31): 100}}, 1000, D)
    assert fc.to_overtake(s, "B", PERIOD) is None


def test_projected_final_standings_keep_each_pace_to_the_deadline():
    # On 20/03, A: 40 a day (800), B: 60 a day since 11/03 (600). P(A) = 40, P(B) = 60 (14-day window:
    # 10 days × 60 / 14 = 42,857…). I(D) = I(E) + ⌊P × 11⌋: A 800 + 440 = 1240, B 600 + ⌊471,43⌋ = 1071.
    # A completes ⌈200/40⌉ = 5 → 25/03; B ⌈400/(600/14)⌉ = ⌈9,33⌉ = 10 → 30/03.
    intakes = {"A": {day(n): 40 for n in range(1, 21)}, "B": {day(n): 60 for n in range(11, 21)}}
    s = _standings(intakes, 1000, day(20))
    forecasts = fc.forecast_standings(s, PERIOD, window_days=14, watch_days=7)
    final = fc.projected_final(s, forecasts, PERIOD).by_code()
    assert (final["A"].intake, final["A"].completed_on) == (1240, day(25))
    assert (final["B"].intake, final["B"].completed_on) == (1071, day(30))
    # A: 70 + ⌊0,24/0,05⌋ = 4 bonus + 10 + 0,5 × 6 = 87; B: 70 + 1 + 10 + 0,5 = 81,5.
    assert (final["A"].total, final["B"].total) == (87, Fraction(163, 2))
    assert (final["A"].rank, final["B"].rank) == (1, 2)


# --- properties over random series ---------------------------------------------------------------------------

series = st.dictionaries(st.integers(0, 30).map(lambda i: S + dt.timedelta(days=i)), st.integers(0, 400),
                         max_size=31)


@settings(max_examples=300, deadline=None)
@given(series, st.integers(0, 8000), st.integers(0, 30), st.integers(1, 20), st.integers(0, 10))
def test_flags_and_projections_follow_their_definitions(daily, quota, offset, window_days, watch_days):
    as_of = S + dt.timedelta(days=offset)
    f = run(daily, quota, as_of, window_days=window_days, watch_days=watch_days)
    intake = sum(n for d, n in daily.items() if d <= as_of)
    assert f.intake == intake
    assert not (f.at_risk and f.watch)
    if quota == 0:
        assert f.remaining is None and not f.at_risk and not f.watch
        return
    assert f.remaining == max(0, quota - intake)
    if f.remaining == 0:
        assert f.projected_on == f.completed_on <= as_of and not f.at_risk
        return
    w = min(window_days, offset + 1)
    assert f.pace == Fraction(sum(n for d, n in daily.items() if as_of - dt.timedelta(days=w) < d <= as_of), w)
    if f.projected_on is not None:
        # The projection is the first day by which the pace covers the work left.
        days = (f.projected_on - as_of).days
        assert f.pace * days >= f.remaining > f.pace * (days - 1)
    assert f.at_risk == (f.projected_on is None or f.projected_on > D)
    for end in f.band:
        assert end is None or end > as_of


@settings(max_examples=200, deadline=None)
@given(series, st.integers(14, 30))
def test_a_fortnight_pace_lies_within_its_band(daily, offset):
    # With a 14-day window and two whole blocks, P is the mean of the two latest blocks: between their projections.
    as_of = S + dt.timedelta(days=offset)
    f = run(daily, 8000, as_of)
    if f.remaining == 0 or f.band == (None, None):
        return
    far = dt.date.max
    earliest, latest = (e or far for e in f.band)
    assert earliest <= (f.projected_on or far) <= latest


@settings(max_examples=150, deadline=None)
@given(st.lists(series, min_size=2, max_size=5), st.integers(0, 30))
def test_to_overtake_is_the_smallest_number_that_puts_a_competitor_above_the_rank_over_it(all_series, offset):
    # Checked against the scoring core itself: add x applications on E to the competitor's team and score again.
    as_of = S + dt.timedelta(days=offset)
    intakes = {f"U{i}": s for i, s in enumerate(all_series)}
    standings = _standings(intakes, 2000, as_of)

    def key(row):
        return (row.total, row.time_points, row.attainment)

    for row in standings.rows:
        x = fc.to_overtake(standings, row.code, PERIOD)
        if row.rank == 1:
            assert x is None
            continue
        above = max(r.rank for r in standings.rows if r.rank < row.rank)
        target = key(next(r for r in standings.rows if r.rank == above))

        def with_more(extra, code=row.code):
            more = dict(intakes)
            more[code] = {**intakes[code], as_of: intakes[code].get(as_of, 0) + extra}
            return key(_standings(more, 2000, as_of).by_code()[code])

        if x is None:
            assert not with_more(100_000) > target
        else:
            assert with_more(x) > target and (x == 1 or not with_more(x - 1) > target)


def _bisected(row, above, as_of, scale):
    """The plain bisection of "to overtake" (the definition), for comparison with the guesses that shortcut it."""
    target = (above.total, above.time_points, above.attainment)

    def beats(extra):
        return fc._key_with(row, extra, as_of, PERIOD, scale) > target

    high = max(1, math.floor(max(fc._saturation(scale), above.attainment) * row.quota) - row.intake + 1)
    if not beats(high):
        return None
    low = 1
    while low < high:
        mid = (low + high) // 2
        low, high = (low, mid) if beats(mid) else (mid + 1, high)
    return low


scales = st.builds(
    Scale, intake_points=st.sampled_from([Decimal(0), Decimal(1), Decimal(70), Decimal("37.5")]),
    bonus_step=st.sampled_from([Decimal("0.05"), Decimal("0.1"), Decimal("0.03")]),
    bonus_points_per_step=st.sampled_from([Decimal(0), Decimal(1), Decimal("0.25"), Decimal(3)]),
    bonus_max=st.sampled_from([Decimal(0), Decimal(2), Decimal(10)]),
    completion_points=st.sampled_from([Decimal(0), Decimal(10), Decimal("2.5")]),
    early_points_per_day=st.sampled_from([Decimal(0), Decimal("0.5"), Decimal(2)]),
    early_max=st.sampled_from([Decimal(0), Decimal(5), Decimal(20)]))


@settings(max_examples=400, deadline=None)
@given(st.lists(series, min_size=2, max_size=4), st.lists(st.integers(1, 3000), min_size=4, max_size=4),
       st.integers(0, 30), scales)
def test_the_guesses_of_to_overtake_give_what_the_bisection_gives(all_series, quotas, offset, scale):
    as_of = S + dt.timedelta(days=offset)
    codes = [f"U{i}" for i in range(len(all_series))]
    competitors = [core.Competitor(c, c, frozenset({c})) for c in codes]
    assignments = [core.Assignment(c, f"M-{c}", S, D, quota=q) for c, q in zip(codes, quotas, strict=False)]
    rows = [core.TeamDay(c, d, n) for c, s in zip(codes, all_series, strict=True) for d, n in s.items()]
    standings = core.score(competitors=competitors, assignments=assignments, intake=rows, period=PERIOD,
                           scale=scale, as_of=as_of)
    above = fc._rows_above(standings)
    for row in standings.rows:
        if row.rank in above:
            got = fc._overtake(row, above[row.rank], standings.as_of, PERIOD, scale)
            assert got == _bisected(row, above[row.rank], standings.as_of, scale)
