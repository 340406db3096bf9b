"""The support planner of docs/monitoring.md: where PC06's support machines should go so that fewest are late.

No framework here, as in `core` and `forecast`: work left, paces and capacities come in, the optimal plan comes
out. A plan sends each pool machine to at most one competitor for the days `E + 1 … D`; competitor `u` then ends its
work on `E + ⌈L / (P + Σ k)⌉`. Plans are compared by four levels, smaller is better: the number of competitors
late, the latest end among those with work left (none: later than any date), the machines sent, and the receivers
read in machine-code order (a machine not sent reads after every code), which makes the answer unique.

The optimum is found by an integer programme (OR-Tools CP-SAT) over binaries `x[m, u]` (machine `m` sent to `u`),
each machine at most once. The end is monotone in `S(u) = Σ k(m) x[m, u]`, so "ends on or before `E + d`" is the
linear condition `S(u) ≥ ⌈L / d − P⌉`: each level is a linear programme in integers, solved in stages, every stage
keeping the optimum of the ones before.
"""

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from .forecast import DAY, HORIZON_DAYS, projected

NEVER = "never"  # the latest end when some competitor with work left never ends
SOLVER_WORKERS = 8
WEIGHT_LIMIT = 1 << 52  # the largest weight of one solve of the last level: CP-SAT's objective stays exact


@dataclass(frozen=True)
class Need:
    """A competitor: its work left `L`, its pace `P`; `receives` is false for one with no team (it gets no machine)."""

    unit: str
    work_left: int
    pace: Fraction
    receives: bool = True


@dataclass(frozen=True)
class PoolMachine:
    """A machine PC06 may send, its team and its capacity `k` (applications a day)."""

    machine: str
    team: str
    capacity: int


@dataclass(frozen=True)
class Outcome:
    """A competitor's work left and where it ends: `projected_on` none when it never ends at that rate."""

    unit: str
    work_left: int
    projected_on: dt.date | None
    late: bool


@dataclass(frozen=True)
class Move:
    machine: str
    to: str
    start: dt.date  # E + 1
    end: dt.date  # D


@dataclass(frozen=True)
class Objective:
    late: int
    latest: dt.date | str | None  # a date, NEVER, or None when nobody has work left
    machines: int


@dataclass(frozen=True)
class Plan:
    as_of: dt.date
    deadline: dt.date
    moves: tuple[Move, ...]  # by machine code
    before: tuple[Outcome, ...]  # by competitor code
    after: tuple[Outcome, ...]
    objective: Objective


class PlanError(ValueError):
    """Inputs the planner cannot take (said in Vietnamese: the command and the page show it)."""


def outcome(need: Need, support: int, as_of: dt.date, deadline: dt.date) -> Outcome:
    """Return a competitor's end with `support` applications a day more than its pace; late when after `D` or none."""
    if need.work_left <= 0:
        return Outcome(need.unit, 0, as_of, False)
    end = projected(need.work_left, need.pace + support, as_of, deadline)
    return Outcome(need.unit, need.work_left, end, end is None or end > deadline)


def objective_of(outcomes: Iterable[Outcome]) -> Objective:
    """Return the first three levels of the objective of a plan's outcomes (machines counted by the caller: 0)."""
    outcomes = list(outcomes)
    working = [o for o in outcomes if o.work_left > 0]
    latest: dt.date | str | None = None
    if working:
        latest = NEVER if any(o.projected_on is None for o in working) else max(o.projected_on for o in working)
    return Objective(sum(o.late for o in outcomes), latest, 0)


def needed(need: Need, days: int) -> int:
    """Return the least support `S` (a day) with which a competitor ends within `days` days: `⌈L / d − P⌉`, ≥ 0."""
    return max(0, math.ceil(Fraction(need.work_left, days) - need.pace))


def _check(needs: Sequence[Need], pool: Sequence[PoolMachine], as_of: dt.date, deadline: dt.date) -> None:
    if as_of >= deadline:
        raise PlanError(f"Chỉ lập kế hoạch hỗ trợ trước hạn cuối: ngày {as_of:%d/%m/%Y} không trước hạn cuối "
                        f"{deadline:%d/%m/%Y}.")
    for kind, codes in (("máy", [m.machine for m in pool]), ("đơn vị", [n.unit for n in needs])):
        if len(set(codes)) != len(codes):
            raise PlanError(f"Mã {kind} bị lặp trong dữ liệu lập kế hoạch.")
    if any(m.capacity < 0 for m in pool) or any(n.work_left < 0 or n.pace < 0 for n in needs):
        raise PlanError("Năng lực máy, khối lượng còn lại và tốc độ không được âm.")


class _Model:
    """The integer programme of one planning problem; each stage adds what the stages before found.

    Machines of one capacity are interchangeable in the first three levels, and in the best plan by the fourth the
    one read first goes to the receiver read first (otherwise swapping the two gives a smaller plan, the same in
    the first three levels). So the unknowns are `y[c, u]`, how many machines of capacity `c` go to `u` — the sums
    of the binaries `x[m, u]` over the machines of that capacity, each machine at most once — and the machines are
    dealt out in code order at the end (`assignment`): one integer programme per way of sharing out, instead of
    all its permutations, which a solver of binaries would walk through for nothing.
    """

    def __init__(self, needs: Sequence[Need], pool: Sequence[PoolMachine], as_of: dt.date, deadline: dt.date):
        self.needs, self.pool = needs, pool
        self.days_left = (deadline - as_of).days
        self.horizon = self.days_left + HORIZON_DAYS  # an end later than E + horizon is none
        self.receivers = sorted((i for i, n in enumerate(needs) if n.receives), key=lambda u: needs[u].unit)
        self.classes: dict[int, list[int]] = defaultdict(list)  # capacity -> its machines, by code
        for m in sorted(range(len(pool)), key=lambda m: pool[m].machine):
            self.classes[pool[m].capacity].append(m)
        from ortools.sat.python import cp_model  # here, not at the top: OR-Tools and pandas weigh 50 MiB in
        # every process that merely loads the site's addresses (an import, a command), not only those that plan

        self.cp_model = cp_model
        self.model = cp_model.CpModel()
        self.y = {(c, u): self.model.new_int_var(0, len(ms), f"y{c}_{u}")
                  for c, ms in self.classes.items() for u in self.receivers}
        for c, ms in self.classes.items():
            self.model.add(sum(self.y[c, u] for u in self.receivers) <= len(ms))
        self.support = [sum(c * self.y[c, u] for c in self.classes) if needs[u].receives else 0
                        for u in range(len(needs))]
        self.machines_to = {u: sum(self.y[c, u] for c in self.classes) for u in self.receivers}
        self.sent = sum(self.y.values())
        capacities = sorted((m.capacity for m in pool), reverse=True)
        self.largest_sums = [sum(capacities[:k]) for k in range(len(capacities) + 1)]  # of the k largest machines
        self.hint: dict | None = None

    def ends_within(self, u: int, days: int) -> list:
        """Return the linear conditions "competitor u ends within `days` days" ([False] when it cannot): its support
        reaches the threshold, and so it gets at least as many machines as the largest ones reaching it (a bound the
        solver's relaxation does not see, which spares it proving the fewest machines the long way)."""
        need = self.needs[u]
        threshold = needed(need, days)
        if threshold == 0:
            return []
        fewest = next((k for k, total in enumerate(self.largest_sums) if total >= threshold), None)
        if not need.receives or fewest is None:
            return [False]
        return [self.support[u] >= threshold, self.machines_to[u] >= fewest]

    def solve(self, extra=(), minimize=None) -> dict | None:
        """Solve the model with `extra` conditions (kept only for this solve); return y's values, None if none."""
        # A clone keeps the original's variable indices: the expressions built on the original apply to it as they are.
        model = self.model.clone()
        for condition in extra:
            if condition is False:
                return None
            if condition is not True:
                model.add(condition)
        if minimize is not None:
            model.minimize(minimize)
        if self.hint:
            for key, var in self.y.items():
                model.add_hint(var, self.hint[key])
        cp_model = self.cp_model
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = SOLVER_WORKERS
        status = solver.solve(model)
        if status == cp_model.INFEASIBLE:
            return None
        if status != cp_model.OPTIMAL:
            raise PlanError("Bộ giải không tìm được phương án tối ưu.")
        self.hint = {key: solver.value(var) for key, var in self.y.items()}
        return self.hint

    def assignment(self, values: dict) -> dict[int, int]:
        """Return machine -> receiver for the counts `values`: each capacity's machines in code order take its
        receivers in code order, the machines left over are not sent."""
        found = {}
        for c, ms in self.classes.items():
            receivers = [u for u in self.receivers for _ in range(values[c, u])]
            found.update(zip(ms, receivers, strict=False))
        return found


def _late_flags(problem: _Model) -> list:
    """Add to the model a flag per competitor with work left that is late unless it ends by the deadline."""
    flags = []
    for u, need in enumerate(problem.needs):
        if need.work_left <= 0:
            continue
        on_time = problem.ends_within(u, problem.days_left)
        if not on_time:
            continue
        if False in on_time:
            flags.append(1)
            continue
        late = problem.model.new_bool_var(f"late{u}")
        for condition in on_time:
            problem.model.add(condition).only_enforce_if(~late)
        flags.append(late)
    return flags


def _least_latest(problem: _Model, keep: list) -> int | None:
    """Return the least `d` such that every competitor with work left ends within `d` days (None: some never ends),
    searching by halves between what each would reach with every machine and with none."""
    working = [u for u, n in enumerate(problem.needs) if n.work_left > 0]
    if not working:
        return None

    def within(days: int) -> list:
        return [condition for u in working for condition in problem.ends_within(u, days)]

    if problem.solve(keep + within(problem.horizon)) is None:
        return None
    total = sum(m.capacity for m in problem.pool)
    low = max(_days_to_end(problem.needs[u], total if problem.needs[u].receives else 0) for u in working)
    high = problem.horizon
    while low < high:
        middle = (low + high) // 2
        if problem.solve(keep + within(middle)) is not None:
            high = middle
        else:
            low = middle + 1
    return low


def _days_to_end(need: Need, support: int) -> int:
    """Return `⌈L / (P + S)⌉`, the days a competitor needs at its pace plus `support` (1 when that rate is nil)."""
    rate = need.pace + support
    return math.ceil(Fraction(need.work_left) / rate) if rate > 0 else 1


def _receivers_in_order(problem: _Model, keep: list) -> dict:
    """Fix what each machine reads as, in code order, each the smallest possible (a receiver's rank by code; not
    sent: after every code), several machines a solve with weights that stay exact; return the values of y.

    The `j`-th machine of capacity `c` reads as `r` or less exactly when the receivers of rank `r` or less get at
    least `j` machines of that capacity: a linear condition on y, which a flag per rank switches on; a solve
    minimizes the ranks its machines do not reach, the machine read first weighing more than all the others.
    """
    order = sorted(range(len(problem.pool)), key=lambda m: problem.pool[m].machine)
    place = {m: (c, j) for c, ms in problem.classes.items() for j, m in enumerate(ms, start=1)}
    ranks = len(problem.receivers)
    base = ranks + 1  # a machine misses 0 … ranks ranks
    per_stage = max(1, int(math.log(WEIGHT_LIMIT, base)))
    fixed = list(keep)
    values = problem.hint

    def up_to(c: int, r: int):
        return sum(problem.y[c, u] for u in problem.receivers[:r])

    def read(c: int, j: int) -> int:
        return next((r for r in range(1, ranks + 1) if sum(values[c, u] for u in problem.receivers[:r]) >= j),
                    base)

    for first in range(0, len(order), per_stage):
        stage = order[first:first + per_stage]
        objective = 0
        for i, m in enumerate(stage):
            c, j = place[m]
            flags = [problem.model.new_bool_var(f"read{m}_{r}") for r in range(1, ranks + 1)]
            for r, flag in enumerate(flags, start=1):
                problem.model.add(up_to(c, r) >= j).only_enforce_if(flag)
            objective += base ** (len(stage) - 1 - i) * sum(1 - f for f in flags)
        values = problem.solve(fixed, minimize=objective)
        for m in stage:
            c, j = place[m]
            least = read(c, j)
            if least <= ranks:
                fixed.append(up_to(c, least) >= j)
            fixed.append(up_to(c, least - 1) <= j - 1)
    return values


def plan(needs: Sequence[Need], pool: Sequence[PoolMachine], as_of: dt.date, deadline: dt.date) -> Plan:
    """Return the optimal plan of docs/monitoring.md for these competitors and this pool, as of `E < D`."""
    _check(needs, pool, as_of, deadline)
    needs = sorted(needs, key=lambda n: n.unit)
    pool = sorted(pool, key=lambda m: m.machine)
    problem = _Model(needs, pool, as_of, deadline)
    receivers = problem.assignment(_optimum(problem)) if problem.y else {}
    support = [sum(pool[m].capacity for m, to in receivers.items() if to == u) for u in range(len(needs))]
    before = tuple(outcome(n, 0, as_of, deadline) for n in needs)
    after = tuple(outcome(n, s, as_of, deadline) for n, s in zip(needs, support, strict=True))
    moves = tuple(Move(pool[m].machine, needs[u].unit, as_of + DAY, deadline) for m, u in sorted(receivers.items()))
    level = objective_of(after)
    return Plan(as_of, deadline, moves, before, after, Objective(level.late, level.latest, len(moves)))


def _optimum(problem: _Model) -> dict:
    """Solve the four levels in turn, each stage keeping the optimum of those before; return the values of x."""
    keep: list = []
    flags = _late_flags(problem)
    if any(not isinstance(f, int) for f in flags):
        least_late = problem.solve(minimize=sum(flags))
        keep.append(sum(flags) <= _count(least_late, problem))
    latest = _least_latest(problem, keep)
    if latest is not None:
        keep += [condition for u, n in enumerate(problem.needs) if n.work_left > 0
                 for condition in problem.ends_within(u, latest)]
    values = problem.solve(keep, minimize=problem.sent)
    keep.append(problem.sent <= sum(values.values()))
    return _receivers_in_order(problem, keep)


def _count(values: dict, problem: _Model) -> int:
    """Return how many competitors the plan `values` leaves late (the flags' least sum for these x)."""
    support = [sum(c * values[c, u] for c in problem.classes) if n.receives else 0
               for u, n in enumerate(problem.needs)]
    return sum(1 for u, n in enumerate(problem.needs) if n.work_left > 0 and needed(n, problem.days_left) > support[u])
