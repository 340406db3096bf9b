"""Benchmark of the support planner's solver (thidua/scoring/planner.py), the pure core without the database.

    .venv/bin/python bench/bench_planner.py [--seed N] [--runs N]

Two cases, each solved `--runs` times (best and worst wall time printed, with the plan's objective):
1. HẬU GIANG: the reference province's 8 districts, three of them behind, PC06's three machines (one of 300 a day,
   two of 400) with 40 days left — the case PC06 plans each morning. Goal: under 2 s.
2. LARGE: 60 competitors and 40 pool machines (capacities 150–500), work left and paces drawn at random so that
   about a third are late without help, 30 days left. Goal: under 10 s.
Wall time is what PC06 waits; the CPU time of every thread is printed beside it because the solver runs several
threads: on a loaded machine the wall time grows, the CPU time much less. The load average is printed first.
The exit code is 0 whatever the figures: a benchmark, not a test.
"""

import argparse
import datetime as dt
import os
import random
import sys
import time
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from thidua.scoring.planner import Need, PoolMachine, plan

AS_OF = dt.date(2021, 5, 22)
GOALS = {"hau-giang": 2.0, "large": 10.0}


def hau_giang() -> tuple[list[Need], list[PoolMachine], dt.date]:
    """Return the reference province's morning: 8 districts, 3 behind, PC06's three machines, 40 days left."""
    deadline = AS_OF + dt.timedelta(days=40)
    needs = [Need("CA930", 18_000, Fraction(6_300, 14)), Need("CA931", 31_500, Fraction(9_100, 14)),
             Need("CA932", 12_000, Fraction(5_600, 14)), Need("CA933", 26_000, Fraction(7_000, 14)),
             Need("CA934", 15_500, Fraction(5_950, 14)), Need("CA935", 9_800, Fraction(4_200, 14)),
             Need("CA936", 22_000, Fraction(8_400, 14)), Need("CA937", 14_000, Fraction(5_250, 14))]
    pool = [PoolMachine("M-PC06-1", "PC06-TO", 300), PoolMachine("M-PC06-2", "PC06-TO", 400),
            PoolMachine("M-PC06-3", "PC06-TO", 400)]
    return needs, pool, deadline


def large(seed: int) -> tuple[list[Need], list[PoolMachine], dt.date]:
    """Return 60 competitors and 40 machines drawn at random, 30 days left."""
    rng = random.Random(seed)
    days = 30
    needs = []
    for i in range(60):
        pace = rng.randint(100, 900)
        behind = rng.random() < 0.35
        work = int(pace * days * (rng.uniform(1.05, 1.8) if behind else rng.uniform(0.3, 0.98)))
        needs.append(Need(f"CA{i:03d}", work, Fraction(pace * 14 + rng.randint(0, 13), 14)))
    pool = [PoolMachine(f"M-PC06-{i:02d}", "PC06-TO", rng.choice([150, 200, 250, 300, 400, 500])) for i in range(40)]
    return needs, pool, AS_OF + dt.timedelta(days=days)


def measure(name: str, case, runs: int) -> None:
    needs, pool, deadline = case
    times, cpu, result = [], [], None
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = plan(needs, pool, AS_OF, deadline)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    objective = result.objective
    latest = objective.latest.isoformat() if isinstance(objective.latest, dt.date) else objective.latest
    late_before = sum(o.late for o in result.before)
    verdict = "ok" if max(times) < GOALS[name] else "MISSED"
    print(f"{name:10} {len(needs):3} competitors {len(pool):3} machines  best {min(times):6.2f} s  worst "
          f"{max(times):6.2f} s, CPU of every thread {min(cpu):6.2f} s (goal < {GOALS[name]:.0f} s: {verdict})\n"
          f"{'':10} late {late_before} → {objective.late}, latest {latest}, machines sent {objective.machines}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    measure("hau-giang", hau_giang(), args.runs)
    measure("large", large(args.seed), args.runs)


if __name__ == "__main__":
    main()
