"""The support planner's pure core (thidua/scoring/planner.py): hand-worked cases, and the solver against brute force
over every assignment of small cases — the same objective and the same plan (the fourth level makes it unique)."""

import datetime as dt
import itertools
import random
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from thidua.scoring.planner import NEVER, Need, PlanError, PoolMachine, needed, outcome, plan

E = dt.date(2021, 5, 1)
D = dt.date(2021, 5, 11)  # ten days left


def _days(n: int) -> dt.date:
    return E + dt.timedelta(days=n)


def test_needed_support_is_the_least_whole_rate():
    # 1.000 left in 10 days at 80 a day: 100 a day needed, 20 more.
    assert needed(Need("A", 1000, Fraction(80)), 10) == 20
    # 1.001 left: 100,1 a day, so 21 more (20 would end on day 11).
    assert needed(Need("A", 1001, Fraction(80)), 10) == 21
    assert needed(Need("A", 500, Fraction(80)), 10) == 0
    assert outcome(Need("A", 1001, Fraction(80)), 20, E, D).projected_on == _days(11)
    assert outcome(Need("A", 1001, Fraction(80)), 21, E, D).projected_on == _days(10)


def test_hand_worked_one_machine_two_districts():
    # A: 3.000 left at 200/day → 15 days (late); with 100 more → 10 days (on time).
    # B: 2.000 left at 150/day → 14 days (late); with 100 more → 8 days.
    # One machine of 100: only one can be helped. Either leaves one late; the latest end decides: helping A leaves
    # B on day 14, helping B leaves A on day 15 → help A.
    needs = [Need("A", 3000, Fraction(200)), Need("B", 2000, Fraction(150))]
    result = plan(needs, [PoolMachine("M1", "PC06-TO", 100)], E, D)
    assert [(m.machine, m.to, m.start, m.end) for m in result.moves] == [("M1", "A", _days(1), D)]
    assert [(o.unit, o.projected_on, o.late) for o in result.before] == [("A", _days(15), True),
                                                                         ("B", _days(14), True)]
    assert [(o.unit, o.projected_on, o.late) for o in result.after] == [("A", _days(10), False),
                                                                        ("B", _days(14), True)]
    assert (result.objective.late, result.objective.latest, result.objective.machines) == (1, _days(14), 1)


def test_hand_worked_fewest_machines_then_smallest_receivers():
    # A: 1.500 left at 100/day → 15 days, late; one machine of 100 → 8 days, two → 5. B (no team, so no help) ends
    # on day 10 whatever: the latest end is day 10 with one machine or two, so one is enough (level 3); M1 goes
    # (level 4: M1 is read first, and sent reads before not sent), M2 stays.
    needs = [Need("A", 1500, Fraction(100)), Need("B", 1000, Fraction(100), receives=False)]
    pool = [PoolMachine("M2", "T", 100), PoolMachine("M1", "T", 100)]
    result = plan(needs, pool, E, D)
    assert [(m.machine, m.to) for m in result.moves] == [("M1", "A")]
    assert (result.objective.late, result.objective.latest, result.objective.machines) == (0, _days(10), 1)


def test_no_pace_never_ends_and_counts_later_than_any_date():
    needs = [Need("A", 1000, Fraction(0)), Need("B", 10_000, Fraction(10))]
    result = plan(needs, [], E, D)
    assert result.before[0].projected_on is None and result.before[0].late
    assert result.objective.latest == NEVER and result.objective.late == 2


def test_nobody_with_work_left_has_no_latest_and_sends_nothing():
    result = plan([Need("A", 0, Fraction(5))], [PoolMachine("M1", "T", 300)], E, D)
    assert result.moves == () and result.objective.latest is None and result.objective.late == 0
    assert result.after[0].projected_on == E and not result.after[0].late


def test_a_competitor_without_team_receives_nothing():
    needs = [Need("A", 5000, Fraction(0), receives=False), Need("B", 100, Fraction(0))]
    result = plan(needs, [PoolMachine("M1", "T", 300)], E, D)
    assert [(m.machine, m.to) for m in result.moves] == [("M1", "B")]


def test_as_of_on_or_after_deadline_refused():
    with pytest.raises(PlanError, match="trước hạn cuối"):
        plan([Need("A", 1, Fraction(0))], [], D, D)


# --- the solver against brute force -----------------------------------------------------------------------------

def _key(needs, pool, receivers_by_machine, deadline):
    """Return the objective of one assignment (machine code -> receiver code or None), all four levels."""
    support = {n.unit: 0 for n in needs}
    for m in pool:
        if receivers_by_machine[m.machine] is not None:
            support[receivers_by_machine[m.machine]] += m.capacity
    outs = [outcome(n, support[n.unit], E, deadline) for n in needs]
    working = [o for o in outs if o.work_left > 0]
    horizon = (deadline - E).days + 367
    latest = max(((o.projected_on - E).days if o.projected_on else horizon for o in working), default=0)
    codes = sorted(n.unit for n in needs)
    reads = tuple(codes.index(receivers_by_machine[m]) if receivers_by_machine[m] else len(codes)
                  for m in sorted(receivers_by_machine))
    sent = sum(1 for r in receivers_by_machine.values() if r is not None)
    return (sum(o.late for o in outs), latest, sent, reads)


def brute_force(needs, pool, deadline):
    """Return the best assignment over every one (each machine to one receiver or none) and its objective."""
    choices = [None] + [n.unit for n in needs if n.receives]
    best = None
    for combo in itertools.product(choices, repeat=len(pool)):
        assignment = {m.machine: r for m, r in zip(pool, combo, strict=True)}
        key = _key(needs, pool, assignment, deadline)
        if best is None or key < best[0]:
            best = (key, assignment)
    return best


needs_st = st.lists(
    st.tuples(st.integers(0, 4000), st.fractions(min_value=0, max_value=400, max_denominator=14), st.booleans()),
    min_size=1, max_size=4)
pool_st = st.lists(st.integers(0, 600), min_size=0, max_size=6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(needs_st, pool_st, st.integers(1, 30))
def test_solver_equals_brute_force(raw_needs, capacities, days_left):
    deadline = E + dt.timedelta(days=days_left)
    needs = [Need(f"U{i}", work, pace, receives=(i == 0 or receives))
             for i, (work, pace, receives) in enumerate(raw_needs)]
    pool = [PoolMachine(f"M{i}", "T", k) for i, k in enumerate(capacities)]
    best_key, best = brute_force(needs, pool, deadline)
    result = plan(needs, pool, E, deadline)
    got = {m.machine: None for m in pool} | {mv.machine: mv.to for mv in result.moves}
    assert _key(needs, pool, got, deadline) == best_key
    assert got == best
    machines = [mv.machine for mv in result.moves]
    assert len(machines) == len(set(machines))  # never a machine twice
    assert result.objective.late == best_key[0] and result.objective.machines == best_key[2]


@pytest.mark.parametrize("seed", range(40))
def test_random_cases_equal_brute_force(seed):
    rng = random.Random(seed)
    days_left = rng.randint(1, 40)
    deadline = E + dt.timedelta(days=days_left)
    needs = [Need(f"D{i:02d}", rng.choice([0, rng.randint(1, 30_000)]),
                  Fraction(rng.randint(0, 2000), rng.randint(1, 14))) for i in range(rng.randint(1, 4))]
    pool = [PoolMachine(f"M-{rng.randint(0, 99):02d}-{i}", "PC06-TO", rng.choice([0, 100, 250, 300, 400]))
            for i in range(rng.randint(0, 6))]
    best_key, best = brute_force(needs, pool, deadline)
    result = plan(needs, pool, E, deadline)
    got = {m.machine: None for m in pool} | {mv.machine: mv.to for mv in result.moves}
    assert (_key(needs, pool, got, deadline), got) == (best_key, best)
    befores = [outcome(n, 0, E, deadline) for n in sorted(needs, key=lambda n: n.unit)]
    assert list(result.before) == befores
