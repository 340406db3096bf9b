"""The scale of docs/scoring.md, scenario by scenario, on the pure scoring core (no database).

Every expected line is written out by hand from docs/scoring.md and compared with what `thidua score --format
json` prints for it (`standing_json`): the attainment as a 4-decimal string, the points as 2-decimal strings.

Unless a scenario says otherwise the period runs from S = 01/03/2021 to D = 30/06/2021 (122 days) and the
scoring date is D. Days between a completion date C and D used below: 30/06 → 0, 20/06 → 10, 15/06 → 15,
10/06 → 20, 06/06 → 24, 01/06 → 29, 31/05 → 30, 22/05 → 39, 21/05 → 40, 30/04 → 61, 15/04 → 76, 01/04 → 90,
01/03 → 121.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

import pytest

from thidua.scoring import core
from thidua.scoring.awards import awards_from
from thidua.scoring.core import Assignment, Competitor, Standing, TeamDay, rank, score
from thidua.scoring.rules import Period, Scale, Statutory, Tier
from thidua.standings.export import standing_json

BK = "Bằng khen của Chủ tịch UBND tỉnh"
# The award tiers of the reference campaign (docs/scoring.md, group cap_huyen).
TIERS = (Tier(1, BK, 10_000_000, 3, 3), Tier(2, BK, 7_000_000, 2, 2), Tier(3, BK, 5_000_000, 1, 1))
AWARD = {1: {"tier": 1, "cash_vnd": 10_000_000, "individuals": 3, "bonus_points": 3},
         2: {"tier": 2, "cash_vnd": 7_000_000, "individuals": 2, "bonus_points": 2},
         3: {"tier": 3, "cash_vnd": 5_000_000, "individuals": 1, "bonus_points": 1}}
STATUTORY = Statutory(1_490_000, Decimal("1.0"), Decimal("2.0"))


def d(month: int, day: int) -> dt.date:
    return dt.date(2021, month, day)


S, D = d(3, 1), d(6, 30)
PERIOD = Period(S, D)


def name(code: str) -> str:
    return f"Công an {code}"


def total(team: str, quota: int, machine: str | None = None, start: dt.date = S, end: dt.date = D) -> Assignment:
    """A machine given to a team with a total quota (chi_tieu)."""
    return Assignment(team, machine or f"M-{team}", start, end, quota=quota)


def daily(team: str, target: int, machine: str | None = None, start: dt.date = S, end: dt.date = D) -> Assignment:
    """A machine given to a team with a daily target (chi_tieu_ngay)."""
    return Assignment(team, machine or f"M-{team}", start, end, daily_target=target)


@dataclass(frozen=True)
class Scenario:
    id: str
    teams: dict[str, tuple[str, ...]]  # competitor code -> its teams
    assignments: tuple[Assignment, ...]
    intake: tuple[tuple[str, dt.date, int], ...]  # (team, day, applications)
    expected: tuple[tuple, ...]  # rows in the order of the standings, see ROW
    as_of: dt.date = D
    period: Period = PERIOD
    expected_as_of: dt.date | None = None  # the scoring date the standings carry (as_of unless capped)
    notes: str = field(default="", compare=False)


# The columns of an expected row: the JSON of docs/scoring.md, in its order, then whether a setup error is reported.
ROW = ("unit", "quota", "intake", "attainment", "completed_on", "intake_points", "time_points", "total", "rank",
       "tie", "eligible", "prize_rank", "needs_decision", "tier")


def expected_json(row: tuple) -> dict:
    """Return the JSON line of docs/scoring.md that an expected row stands for."""
    values = dict(zip(ROW, row[:len(ROW)], strict=True))
    setup_error = row[len(ROW)] if len(row) > len(ROW) else False
    return {
        "unit": values["unit"], "name": name(values["unit"]), "quota": values["quota"], "intake": values["intake"],
        "attainment": values["attainment"], "completed_on": values["completed_on"],
        "points": {"intake": values["intake_points"], "time": values["time_points"]}, "total": values["total"],
        "rank": values["rank"], "tie": values["tie"], "eligible": values["eligible"],
        "prize_rank": values["prize_rank"], "needs_decision": values["needs_decision"],
        "award": AWARD[values["tier"]] if values["tier"] else None, "setup_error": setup_error,
    }


def one_team(*codes: str) -> dict[str, tuple[str, ...]]:
    """Competitors that have one team each, named after them (A → A-1)."""
    return {c: (f"{c}-1",) for c in codes}


SCENARIOS = [
    Scenario(
        "tie_at_prize_rank_1",
        one_team("A", "B", "C", "E"),
        tuple(total(f"{c}-1", 1000) for c in "ABCE"),
        (("A-1", d(5, 31), 1000), ("B-1", d(5, 31), 1000), ("C-1", d(6, 10), 1000), ("E-1", d(6, 20), 1000)),
        (
            # unit quota intake attain completed  intake   time    total  rank tie  elig  prize need tier
            ("A", 1000, 1000, "1.0000", "2021-05-31", "70.00", "25.00", "95.00", 1, True, True, 1, True, 1),
            ("B", 1000, 1000, "1.0000", "2021-05-31", "70.00", "25.00", "95.00", 1, True, True, 1, True, 1),
            ("C", 1000, 1000, "1.0000", "2021-06-10", "70.00", "20.00", "90.00", 3, False, True, 3, False, 3),
            ("E", 1000, 1000, "1.0000", "2021-06-20", "70.00", "15.00", "85.00", 4, False, True, 4, False, None),
        ),
        notes="equal on total, time points and attainment: shared rank 1, both get tier 1 for the council to decide",
    ),
    Scenario(
        "tie_at_prize_rank_2_leaves_tier_3_unawarded",
        one_team("A", "B", "C", "E"),
        tuple(total(f"{c}-1", 1000) for c in "ABCE"),
        (("A-1", d(5, 31), 1000), ("B-1", d(6, 10), 1000), ("C-1", d(6, 10), 1000), ("E-1", d(6, 20), 1000)),
        (
            ("A", 1000, 1000, "1.0000", "2021-05-31", "70.00", "25.00", "95.00", 1, False, True, 1, False, 1),
            ("B", 1000, 1000, "1.0000", "2021-06-10", "70.00", "20.00", "90.00", 2, True, True, 2, True, 2),
            ("C", 1000, 1000, "1.0000", "2021-06-10", "70.00", "20.00", "90.00", 2, True, True, 2, True, 2),
            ("E", 1000, 1000, "1.0000", "2021-06-20", "70.00", "15.00", "85.00", 4, False, True, 4, False, None),
        ),
        notes="prize ranks 1, 2, 2, 4: no competitor has prize rank 3, so tier 3 goes to nobody",
    ),
    Scenario(
        "equal_total_broken_by_time_points",
        one_team("A", "B"),
        (total("A-1", 1000), total("B-1", 1000)),
        (("A-1", d(6, 10), 1100), ("B-1", d(6, 6), 1000)),
        (
            # B: 70 + (10 + 0.5 × 24) = 92; A: 70 + 2 (two full 5%) + (10 + 0.5 × 20) = 92.
            ("B", 1000, 1000, "1.0000", "2021-06-06", "70.00", "22.00", "92.00", 1, False, True, 1, False, 1),
            ("A", 1000, 1100, "1.1000", "2021-06-10", "72.00", "20.00", "92.00", 2, False, True, 2, False, 2),
        ),
    ),
    Scenario(
        "equal_total_and_time_broken_by_attainment",
        one_team("A", "B"),
        (total("A-1", 1000), total("B-1", 1000)),
        (("A-1", d(6, 20), 1050), ("B-1", d(6, 20), 1090)),
        (
            # both: 70 + 1 (one full 5%) + (10 + 0.5 × 10) = 86; B's attainment is higher.
            ("B", 1000, 1090, "1.0900", "2021-06-20", "71.00", "15.00", "86.00", 1, False, True, 1, False, 1),
            ("A", 1000, 1050, "1.0500", "2021-06-20", "71.00", "15.00", "86.00", 2, False, True, 2, False, 2),
        ),
    ),
    Scenario(
        "all_ineligible_ranked_without_prize",
        one_team("A", "B", "C"),
        (total("A-1", 1000), total("B-1", 3000), total("C-1", 1000)),
        (("A-1", d(3, 10), 400), ("A-1", d(6, 30), 500), ("B-1", d(4, 1), 2000)),
        (
            ("A", 1000, 900, "0.9000", None, "63.00", "0.00", "63.00", 1, False, False, None, False, None),
            # 70 × 2/3 = 46.666… shown 46.67
            ("B", 3000, 2000, "0.6667", None, "46.67", "0.00", "46.67", 2, False, False, None, False, None),
            ("C", 1000, 0, "0.0000", None, "0.00", "0.00", "0.00", 3, False, False, None, False, None),
        ),
    ),
    Scenario(
        "only_two_eligible_tier_3_not_awarded",
        one_team("A", "B", "C"),
        (total("A-1", 1000), total("B-1", 1000), total("C-1", 1000)),
        (("A-1", d(6, 10), 1000), ("B-1", d(6, 20), 1000), ("C-1", d(6, 30), 990)),
        (
            ("A", 1000, 1000, "1.0000", "2021-06-10", "70.00", "20.00", "90.00", 1, False, True, 1, False, 1),
            ("B", 1000, 1000, "1.0000", "2021-06-20", "70.00", "15.00", "85.00", 2, False, True, 2, False, 2),
            ("C", 1000, 990, "0.9900", None, "69.30", "0.00", "69.30", 3, False, False, None, False, None),
        ),
    ),
    Scenario(
        "no_quota_unranked_listed_last_with_setup_error",
        {"AAA": ("AAA-1",), "B": ("B-1",), "CCC": ("CCC-1",)},
        # AAA's team has no machine; CCC's only machine is assigned before the period (no day inside [S, D]).
        (total("B-1", 1000), daily("CCC-1", 10, start=d(2, 1), end=d(2, 28))),
        (("AAA-1", d(3, 10), 50), ("B-1", d(6, 30), 1000)),
        (
            ("B", 1000, 1000, "1.0000", "2021-06-30", "70.00", "10.00", "80.00", 1, False, True, 1, False, 1),
            ("AAA", 0, 50, None, None, "0.00", "0.00", "0.00", None, False, False, None, False, None, True),
            ("CCC", 0, 0, None, None, "0.00", "0.00", "0.00", None, False, False, None, False, None, True),
        ),
    ),
    Scenario(
        "completion_on_the_deadline",
        one_team("A", "B"),
        (total("A-1", 1000), total("B-1", 1000)),
        (("A-1", d(6, 29), 600), ("A-1", d(6, 30), 400), ("B-1", d(6, 30), 999)),
        (
            # completed on D: 10 points for completing, 0.5 × 0 days early.
            ("A", 1000, 1000, "1.0000", "2021-06-30", "70.00", "10.00", "80.00", 1, False, True, 1, False, 1),
            ("B", 1000, 999, "0.9990", None, "69.93", "0.00", "69.93", 2, False, False, None, False, None),
        ),
    ),
    Scenario(
        "bonus_thresholds_exact_and_capped",
        one_team("A", "B", "C", "E", "F", "G", "H"),
        tuple(total(f"{c}-1", 10_000) for c in "ABCEFGH"),
        (("A-1", D, 10_499), ("B-1", D, 10_500), ("C-1", D, 11_500), ("E-1", D, 15_000), ("F-1", D, 15_100),
         ("G-1", D, 20_000), ("H-1", D, 13_500)),
        (
            # 200%: ⌊20⌋ steps, capped at 10
            ("G", 10_000, 20_000, "2.0000", "2021-06-30", "80.00", "10.00", "90.00", 1, False, True, 1, False, 1),
            # 151%: ⌊10.2⌋ = 10
            ("F", 10_000, 15_100, "1.5100", "2021-06-30", "80.00", "10.00", "90.00", 2, False, True, 2, False, 2),
            # 150%: exactly 10 steps
            ("E", 10_000, 15_000, "1.5000", "2021-06-30", "80.00", "10.00", "90.00", 3, False, True, 3, False, 3),
            # 135%: 7 steps exactly ((1.35 − 1) / 0.05 is 6.999… in binary floats)
            ("H", 10_000, 13_500, "1.3500", "2021-06-30", "77.00", "10.00", "87.00", 4, False, True, 4, False, None),
            # 115%: 3 steps exactly (2.999… in binary floats)
            ("C", 10_000, 11_500, "1.1500", "2021-06-30", "73.00", "10.00", "83.00", 5, False, True, 5, False, None),
            # exactly 105%: one full step
            ("B", 10_000, 10_500, "1.0500", "2021-06-30", "71.00", "10.00", "81.00", 6, False, True, 6, False, None),
            # 104.99%: no full step
            ("A", 10_000, 10_499, "1.0499", "2021-06-30", "70.00", "10.00", "80.00", 7, False, True, 7, False, None),
        ),
    ),
    Scenario(
        "early_points_capped_at_20",
        one_team("A", "B", "C"),
        (total("A-1", 1000), total("B-1", 1000), total("C-1", 1000)),
        (("A-1", d(3, 1), 1000), ("B-1", d(5, 21), 1000), ("C-1", d(5, 22), 1000)),
        (
            # A: min(20, 0.5 × 121); B: min(20, 0.5 × 40) — both 20, a tie; C: 0.5 × 39 = 19.5.
            ("A", 1000, 1000, "1.0000", "2021-03-01", "70.00", "30.00", "100.00", 1, True, True, 1, True, 1),
            ("B", 1000, 1000, "1.0000", "2021-05-21", "70.00", "30.00", "100.00", 1, True, True, 1, True, 1),
            ("C", 1000, 1000, "1.0000", "2021-05-22", "70.00", "29.50", "99.50", 3, False, True, 3, False, 3),
        ),
    ),
    Scenario(
        "as_of_before_any_completion",
        one_team("A", "B"),
        (total("A-1", 1000), total("B-1", 1000)),
        (("A-1", d(3, 10), 600), ("A-1", d(4, 10), 500), ("B-1", d(4, 20), 1000)),
        (
            ("A", 1000, 600, "0.6000", None, "42.00", "0.00", "42.00", 1, False, False, None, False, None),
            ("B", 1000, 0, "0.0000", None, "0.00", "0.00", "0.00", 2, False, False, None, False, None),
        ),
        as_of=d(4, 1),
    ),
    Scenario(
        "as_of_after_the_deadline_is_capped",
        one_team("A", "B"),
        (total("A-1", 1000), total("B-1", 1000)),
        (("A-1", d(6, 30), 1000), ("A-1", d(7, 5), 500), ("B-1", d(6, 30), 800), ("B-1", d(7, 2), 300)),
        (
            ("A", 1000, 1000, "1.0000", "2021-06-30", "70.00", "10.00", "80.00", 1, False, True, 1, False, 1),
            ("B", 1000, 800, "0.8000", None, "56.00", "0.00", "56.00", 2, False, False, None, False, None),
        ),
        as_of=d(8, 15),
        expected_as_of=D,
    ),
    Scenario(
        "machine_lent_to_a_team_of_another_district",
        {"X": ("X-1",), "Y": ("Y-1",)},
        (
            # M-LENT: X-1 from 01/03 to 30/04 (61 days × 10), then Y-1 from 01/05 to 30/06 (61 days × 10).
            daily("X-1", 10, "M-LENT", d(3, 1), d(4, 30)), daily("Y-1", 10, "M-LENT", d(5, 1), d(6, 30)),
            total("X-1", 400, "M-X"), total("Y-1", 1000, "M-Y"),
        ),
        (("X-1", d(3, 15), 500), ("X-1", d(4, 30), 510), ("Y-1", d(5, 10), 300), ("Y-1", d(6, 15), 1310)),
        (
            ("X", 1010, 1010, "1.0000", "2021-04-30", "70.00", "30.00", "100.00", 1, False, True, 1, False, 1),
            ("Y", 1610, 1610, "1.0000", "2021-06-15", "70.00", "17.50", "87.50", 2, False, True, 2, False, 2),
        ),
    ),
    Scenario(
        "daily_targets_and_total_quotas_mixed_with_non_working_days",
        {"A": ("A-1", "A-2"), "B": ("B-1",)},
        (
            daily("A-1", 10, start=d(3, 1), end=d(3, 31)),  # 31 days less 08/03 → 30 × 10 = 300
            total("A-2", 500),  # a total quota is not reduced by non-working days
            daily("B-1", 5),  # 122 days less 3 → 119 × 5 = 595
        ),
        (("A-1", d(3, 31), 300), ("A-2", d(4, 15), 500), ("B-1", d(6, 1), 600)),
        (
            ("A", 800, 800, "1.0000", "2021-04-15", "70.00", "30.00", "100.00", 1, False, True, 1, False, 1),
            # 600 / 595 = 1.00840…: no full 5% step; 10 + 0.5 × 29 = 24.5
            ("B", 595, 600, "1.0084", "2021-06-01", "70.00", "24.50", "94.50", 2, False, True, 2, False, 2),
        ),
        period=Period(S, D, frozenset({d(3, 8), d(4, 30), d(5, 1)})),
    ),
    Scenario(
        "intake_before_start_or_after_as_of_not_counted",
        one_team("A", "B"),
        (total("A-1", 1000), total("B-1", 1000)),
        (("A-1", d(2, 28), 500), ("A-1", d(3, 5), 400), ("A-1", d(4, 5), 700), ("B-1", d(4, 1), 1000)),
        (
            # B completes on the scoring date itself (it counts): 10 + min(20, 0.5 × 90).
            ("B", 1000, 1000, "1.0000", "2021-04-01", "70.00", "30.00", "100.00", 1, False, True, 1, False, 1),
            ("A", 1000, 400, "0.4000", None, "28.00", "0.00", "28.00", 2, False, False, None, False, None),
        ),
        as_of=d(4, 1),
    ),
]


def run(s: Scenario, tiers: tuple[Tier, ...] = TIERS) -> core.Standings:
    return score(competitors=[Competitor(code, name(code), frozenset(teams)) for code, teams in s.teams.items()],
                 assignments=s.assignments, intake=[TeamDay(*row) for row in s.intake], period=s.period,
                 scale=Scale(), as_of=s.as_of, tiers=tiers)


def actual_json(row: Standing) -> dict:
    line = standing_json(row)
    line["setup_error"] = bool(line["setup_error"])
    return line


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_scenario(scenario: Scenario):
    standings = run(scenario)
    assert standings.as_of == (scenario.expected_as_of or scenario.as_of)
    assert [actual_json(r) for r in standings.rows] == [expected_json(e) for e in scenario.expected]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_scenario_values_are_exact_fractions(scenario: Scenario):
    for r in run(scenario).rows:
        for value in (r.intake_points, r.time_points, r.total) + ((r.attainment,) if r.ranked else ()):
            assert isinstance(value, Fraction)
        assert r.total == r.intake_points + r.time_points
        assert r.total == sum((line.points for line in r.lines), Fraction(0))


def test_scenarios_cover_each_case():
    assert len({s.id for s in SCENARIOS}) == len(SCENARIOS) >= 15


def test_quota_parts_explain_the_quota():
    scenario = next(s for s in SCENARIOS if s.id.startswith("daily_targets_and_total_quotas"))
    a = run(scenario).by_code()["A"]
    assert [(p.assignment.team, p.days, p.amount) for p in a.quota_parts] == [("A-1", 30, 300), ("A-2", 119, 500)]
    assert [(x.day, x.applications, x.cumulative) for x in a.days] == [(d(3, 31), 300, 300), (d(4, 15), 500, 800)]


def test_lent_machine_quota_is_split_by_dates():
    scenario = next(s for s in SCENARIOS if s.id.startswith("machine_lent"))
    rows = run(scenario).by_code()
    lent = {code: [(p.assignment.start, p.days, p.amount) for p in r.quota_parts if p.assignment.machine == "M-LENT"]
            for code, r in rows.items()}
    assert lent == {"X": [(d(3, 1), 61, 610)], "Y": [(d(5, 1), 61, 610)]}


def test_without_tiers_nobody_gets_a_tier():
    standings = run(SCENARIOS[0], tiers=())
    assert [r.prize_rank for r in standings.rows] == [1, 1, 3, 4]
    assert all(r.tier is None and not r.needs_decision for r in standings.rows)


def test_scale_settings_are_used():
    """Every number in brackets in docs/scoring.md is a setting: a council's scale changes the points."""
    scenario = next(s for s in SCENARIOS if s.id == "equal_total_broken_by_time_points")
    scale = Scale(intake_points=Decimal(60), bonus_step=Decimal("0.1"), bonus_points_per_step=Decimal(2),
                  completion_points=Decimal(5), early_points_per_day=Decimal(1), early_max=Decimal(15))
    rows = score(competitors=[Competitor(c, name(c), frozenset(t)) for c, t in scenario.teams.items()],
                 assignments=scenario.assignments, intake=[TeamDay(*x) for x in scenario.intake],
                 period=scenario.period, scale=scale, as_of=scenario.as_of, tiers=TIERS).by_code()
    # A: 60 + 2 × ⌊0.1 / 0.1⌋ = 62, 5 + min(15, 20) = 20; B: 60, 5 + min(15, 24) = 20.
    assert (rows["A"].intake_points, rows["A"].time_points, rows["A"].rank) == (62, 20, 1)
    assert (rows["B"].intake_points, rows["B"].time_points, rows["B"].rank) == (60, 20, 2)


def test_without_required_completion_everyone_ranked_is_eligible():
    scenario = next(s for s in SCENARIOS if s.id == "all_ineligible_ranked_without_prize")
    rows = score(competitors=[Competitor(c, name(c), frozenset(t)) for c, t in scenario.teams.items()],
                 assignments=scenario.assignments, intake=[TeamDay(*x) for x in scenario.intake],
                 period=scenario.period, scale=Scale(require_completion=False), as_of=scenario.as_of,
                 tiers=TIERS).rows
    assert [(r.code, r.eligible, r.prize_rank, r.tier.rank if r.tier else None) for r in rows] == [
        ("A", True, 1, 1), ("B", True, 2, 2), ("C", True, 3, 3)]


# --- rank: order, shared ranks, prize ranks -----------------------------------------------------------------

def measured(code: str, total_: Fraction | int, time: Fraction | int, attainment: Fraction | int,
             completed: bool = True, quota: int = 1000) -> Standing:
    """A measured competitor: only what `rank` reads is meaningful."""
    total_, time, attainment = Fraction(total_), Fraction(time), Fraction(attainment)
    return Standing(code, name(code), quota, int(attainment * quota), attainment if quota else None,
                    d(6, 1) if completed else None, total_ - time, time, total_)


def ranked(rows, tiers=TIERS) -> list[tuple]:
    return [(s.code, s.rank, s.tie, s.prize_rank, s.tier.rank if s.tier else None, s.needs_decision)
            for s in rank(rows, Scale(), tiers)]


def test_rank_shares_equal_keys_1_2_2_4():
    rows = [measured("W", 100, 30, 1), measured("X", 90, 20, 1), measured("Y", 90, 20, 1), measured("Z", 80, 10, 1)]
    assert ranked(rows[::-1]) == [("W", 1, False, 1, 1, False), ("X", 2, True, 2, 2, True),
                                  ("Y", 2, True, 2, 2, True), ("Z", 4, False, 4, None, False)]


def test_rank_three_way_tie_at_the_top():
    rows = [measured(c, 90, 20, 1) for c in "PQR"] + [measured("S", 85, 15, 1)]
    assert ranked(rows) == [("P", 1, True, 1, 1, True), ("Q", 1, True, 1, 1, True), ("R", 1, True, 1, 1, True),
                            ("S", 4, False, 4, None, False)]


def test_rank_orders_by_total_then_time_then_attainment():
    rows = [
        measured("A", 92, 20, Fraction(11, 10)),  # same total as B, fewer time points
        measured("B", 92, 22, 1),
        measured("C", 86, 15, Fraction(105, 100)),  # same total and time as D, lower attainment
        measured("D", 86, 15, Fraction(109, 100)),
        measured("E", 87, 10, 2),
    ]
    assert [s.code for s in rank(rows, Scale(), TIERS)] == ["B", "A", "E", "D", "C"]
    assert [s.rank for s in rank(rows, Scale(), TIERS)] == [1, 2, 3, 4, 5]
    assert not any(s.tie for s in rank(rows, Scale(), TIERS))


def test_prize_rank_counts_only_the_eligible():
    rows = [measured("P1", 100, 30, 1), measured("P2", 95, 0, 2, completed=False),
            measured("P3", 90, 20, 1), measured("P4", 90, 20, 1), measured("P5", 85, 15, 1)]
    assert ranked(rows) == [("P1", 1, False, 1, 1, False), ("P2", 2, False, None, None, False),
                            ("P3", 3, True, 2, 2, True), ("P4", 3, True, 2, 2, True),
                            ("P5", 5, False, 4, None, False)]


def test_rank_puts_competitors_without_quota_last_unranked():
    rows = [measured("AAA", 0, 0, 0, completed=False, quota=0), measured("B", 80, 10, 1),
            measured("C", 50, 0, Fraction(5, 7), completed=False)]
    out = rank(rows, Scale(), TIERS)
    assert [(s.code, s.rank, s.eligible, s.prize_rank) for s in out] == [
        ("B", 1, True, 1), ("C", 2, False, None), ("AAA", None, False, None)]


# --- awards and budget --------------------------------------------------------------------------------------

NOMINATIONS = (("cap_tinh", "Cấp tỉnh", 2, 5),)


def three_winners() -> core.Standings:
    return run(next(s for s in SCENARIOS if s.id == "bonus_thresholds_exact_and_capped"))


def test_statutory_amounts():
    assert (STATUTORY.individual_vnd, STATUTORY.collective_vnd) == (1_490_000, 2_980_000)


def test_full_budget_of_the_reference_campaign():
    budget = awards_from({"cap_huyen": three_winners()}, STATUTORY, NOMINATIONS)
    assert [(a.unit, a.tier, a.cash_vnd, a.individuals, a.bonus_points, a.statutory_collective_vnd,
             a.statutory_individuals_vnd, a.needs_decision) for a in budget.awards] == [
        ("G", 1, 10_000_000, 3, 3, 2_980_000, 3 * 1_490_000, False),
        ("F", 2, 7_000_000, 2, 2, 2_980_000, 2 * 1_490_000, False),
        ("E", 3, 5_000_000, 1, 1, 2_980_000, 1 * 1_490_000, False),
    ]
    assert [(n.group, n.collectives, n.individuals, n.statutory_vnd) for n in budget.nominations] == [
        ("cap_tinh", 2, 5, 2 * 2_980_000 + 5 * 1_490_000)]
    assert budget.prizes_vnd == 22_000_000
    statutory = 3 * 2_980_000 + 6 * 1_490_000 + 2 * 2_980_000 + 5 * 1_490_000
    assert statutory == 31_290_000
    assert budget.statutory_vnd == statutory
    assert budget.total_vnd == 22_000_000 + statutory == 53_290_000
    assert not budget.tentative
    assert budget.awards[0].total_vnd == 10_000_000 + 2_980_000 + 3 * 1_490_000


def test_budget_with_a_tie_is_tentative_and_counts_each_tentative_award():
    tied = run(SCENARIOS[0])  # A and B share prize rank 1, C has prize rank 3
    budget = awards_from({"cap_huyen": tied}, STATUTORY, NOMINATIONS)
    assert [(a.unit, a.tier, a.needs_decision) for a in budget.awards] == [("A", 1, True), ("B", 1, True),
                                                                           ("C", 3, False)]
    assert budget.tentative
    assert budget.prizes_vnd == 10_000_000 + 10_000_000 + 5_000_000


def test_budget_without_statutory_amounts_counts_prizes_only():
    budget = awards_from({"cap_huyen": three_winners()}, None, NOMINATIONS)
    assert budget.statutory_vnd == 0 and budget.total_vnd == budget.prizes_vnd == 22_000_000


def test_no_eligible_competitor_no_award():
    standings = run(next(s for s in SCENARIOS if s.id == "all_ineligible_ranked_without_prize"))
    budget = awards_from({"cap_huyen": standings}, STATUTORY, NOMINATIONS)
    assert budget.awards == () and budget.prizes_vnd == 0
    assert budget.statutory_vnd == 2 * 2_980_000 + 5 * 1_490_000
