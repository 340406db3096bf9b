"""Benchmark of the standings (`campaign_standings`, `thidua score`) at the scale of the whole country.

    .venv/bin/python bench/bench_standings.py [--scale national|province] [--keep] [--profile]

What it does:
1. A fresh database: a SQLite file in a temporary folder, unless DATABASE_URL is set. A PostgreSQL
   database named there is dropped and created again (its name must contain "bench", so that a working
   database is never dropped by mistake); a SQLite file named there is deleted first (same rule).
   Then `migrate`, the territory of the whole country (legacy structure) and one campaign: the reference
   settings file with another code and a period of 110 days (its province stays as in the file).
2. Synthetic data written directly (bulk_create for the units, machines and assignments; for the intake,
   executemany in one transaction on SQLite, COPY on PostgreSQL — the importer checks the territory per
   province, so it is not used at this volume), then ANALYZE (VACUUM ANALYZE on PostgreSQL).
   National: 700 competitors (cong_an_huyen, group cap_huyen, under one phong), 1,400 teams (2 each),
   10,000 machines (one assignment each, for the whole period; 3 in 4 with a daily target, 1 in 4 with a
   total quota), one intake row per machine and day: 1.1 million rows. Province: the same shape, 1/63 of it.
   Generation is not measured.
3. FLOOR: the one GROUP BY (team, day) of the intake, fetched completely through Django's connection.
4. STANDINGS: `campaign_standings(campaign, as_of=deadline)` (every group, the teams' standings, the budget).
5. CLI: `thidua score CODE --format json --output /dev/null`, the whole command (wall time with start-up).
6. FORECAST (docs/monitoring.md): `campaign_forecast` (it computes the standings it stands on) and
   `commune_forecasts`, as of the deadline; and `thidua forecast CODE --format json` as a whole command. The goal
   (issue 11): the forecast within 2× the standings' time.
FLOOR, STANDINGS and FORECAST run each in a fresh subprocess that reports its wall time of the work only (Django's
start-up — django.setup(), imports, the connection — is reported apart) and its peak resident memory
(VmHWM); best of 3 runs. The CLI's peak memory is its ru_maxrss from wait4. A digest of the standings'
JSON and of every standing in full (codes, not ids) is printed so that runs on both databases and before/after a
change of the code can be compared.
The exit code is 0 whatever the figures: a benchmark, not a test.
"""

import argparse
import dataclasses
import datetime as dt
import hashlib
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import _common as common

CAMPAIGN_CODE = "toan-quoc-bench"
SEED = 2021
RUNS = 3
DAYS = 110

# competitors (cong_an_huyen), teams per competitor, machines
SCALES = {"national": (700, 2, 10_000), "province": (11, 2, 160)}
DAILY_TARGET = 100

GOAL_EXTRA_S = 2.0
GOAL_RATIO = 3.0
GOAL_PEAK_MIB = 1024

FLOOR_SQL = ("SELECT team_id, day, SUM(applications) FROM intake_intakerecord WHERE campaign_id = %s "
             "GROUP BY team_id, day")
SPAWNED = "BENCH_SPAWNED"


# --- measurements, each in its own process ------------------------------------------------------------------

def _startup():
    """Start Django and open the connection; return the campaign and the seconds of django.setup() & co."""
    started = time.perf_counter()
    import django

    django.setup()
    from django.db import connection

    from thidua.campaigns.models import Campaign
    from thidua.standings.selectors import campaign_standings  # noqa: F401  (imported here: start-up, not work)

    connection.ensure_connection()
    campaign = Campaign.objects.get(code=CAMPAIGN_CODE)
    return campaign, time.perf_counter() - started


def _ready() -> float:
    """Return the seconds since the parent spawned this process (interpreter, imports, Django, connection)."""
    return time.time() - float(os.environ[SPAWNED])


def _floor() -> dict:
    from django.db import connection

    campaign, startup = _startup()
    sql, params = FLOOR_SQL, [campaign.id]
    ready = _ready()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "startup_s": startup, "ready_s": ready, "rows": len(rows),
            "sum": sum(r[2] for r in rows)}


def _standings(profile_to: str | None) -> dict:
    campaign, startup = _startup()
    from thidua.standings.export import standings_json
    from thidua.standings.selectors import campaign_standings

    with common.profiled(profile_to):
        ready = _ready()
        started = time.perf_counter()
        result = campaign_standings(campaign, as_of=campaign.deadline)
        seconds = time.perf_counter() - started
    peak = common.peak_mib()
    # Outside the measure: a digest of everything computed (every row, day, quota part and explanation; codes,
    # not database ids), to compare runs, databases and versions of the code.
    shown = json.dumps(standings_json(result), sort_keys=True)
    digest = hashlib.sha256((shown + repr((result.groups, result.teams, result.budget))).encode()).hexdigest()
    scored = [g for g in result.groups if g.standings is not None]
    return {"seconds": seconds, "startup_s": startup, "ready_s": ready, "peak_mib": peak, "digest": digest[:16],
            "competitors": sum(len(g.standings.rows) for g in scored), "teams": len(result.teams.rows),
            "intake": sum(s.intake for s in result.teams.rows), "team_days": len(result.inputs.intake),
            "eligible": sum(s.eligible for g in scored for s in g.standings.rows),
            "budget_vnd": result.budget.total_vnd, "final": result.final}


def _forecast() -> dict:
    campaign, startup = _startup()
    from thidua.monitoring.forecasts import campaign_forecast, commune_forecasts

    ready = _ready()
    started = time.perf_counter()
    result = campaign_forecast(campaign, campaign.deadline)
    communes = commune_forecasts(campaign, result.as_of)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "startup_s": startup, "ready_s": ready, "peak_mib": common.peak_mib(),
            "competitors": sum(1 for _ in result.competitors()), "teams": len(result.teams),
            "communes": len(communes), "at_risk": len(result.at_risk())}


def _child(argv: list[str]) -> None:
    mode = argv[0]
    if mode == "floor":
        result = _floor()
    elif mode == "forecast":
        result = _forecast()
    else:
        result = _standings(argv[1] if len(argv) > 1 else None)
    common.report_result(result)


def _env() -> dict:
    # SPAWNED: the time of the spawn, for the child's "ready" figure (see _ready).
    return common.child_env(DJANGO_SETTINGS_MODULE="thidua.settings", **{SPAWNED: repr(time.time())})


def _run_child(*args: str) -> dict:
    started = time.perf_counter()
    result = common.run_child(__file__, *args, env=_env())
    return dict(result, process_s=time.perf_counter() - started)  # process_s: spawn to exit


def _run_cli(as_of: dt.date, command: str = "score") -> dict:
    """Run `thidua score` (or `forecast`) as a whole command; return its wall time, exit code and peak memory."""
    cmd = [str(Path(sys.executable).parent / "thidua"), command, CAMPAIGN_CODE, "--as-of", as_of.isoformat(),
           "--format", "json", "--output", os.devnull]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=common.ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    out, err = proc.communicate()
    if proc.returncode:
        sys.stderr.write(out.decode() + err.decode())
    return {"seconds": wall, "rc": proc.returncode, "peak_mib": usage.ru_maxrss / 1024}


# --- the synthetic campaign ---------------------------------------------------------------------------------

def _setup_campaign():
    """Migrate, load the whole country's territory and the campaign; return it, its config and the commune ids."""

    def national(config):
        return dataclasses.replace(config, code=CAMPAIGN_CODE, name=f"{config.name} (toàn quốc, benchmark)",
                                   deadline=config.start + dt.timedelta(days=DAYS - 1))

    campaign, config = common.setup_campaign("all", adjust=national)
    from thidua.territory.models import AdminUnit, Level

    communes = list(AdminUnit.objects.filter(structure=campaign.structure, level=Level.COMMUNE)
                    .order_by("code").values_list("id", flat=True))
    return campaign, config, communes


def _load(campaign, config, communes: list[int], scale: str) -> dict:
    """Write units, machines, assignments and the intake; return what the standings should show."""
    from django.db import connection, transaction

    from thidua.audit.chain import changeset_seal
    from thidua.audit.services import changeset_open
    from thidua.campaigns.models import CompetitionGroup
    from thidua.intake.models import Assignment, Machine
    from thidua.units.models import Kind, Unit

    n_comp, per_comp, n_machines = SCALES[scale]
    rng = random.Random(SEED)
    group = CompetitionGroup.objects.get(campaign=campaign, code="cap_huyen")
    with transaction.atomic():
        phong = Unit.objects.create(campaign=campaign, code="PC06", name="Phòng PC06 (tổng hợp)", kind=Kind.PHONG)
        competitors = Unit.objects.bulk_create(
            [Unit(campaign=campaign, code=f"CAH-{i:04d}", name=f"Công an huyện {i:04d} (mô phỏng)",
                  kind=Kind.CONG_AN_HUYEN, parent=phong, group=group) for i in range(1, n_comp + 1)],
            batch_size=500)
        teams = Unit.objects.bulk_create(
            [Unit(campaign=campaign, code=f"TO-{i:04d}-{k}", name=f"Tổ cấp CCCD {i:04d}-{k} (mô phỏng)",
                  kind=Kind.TO, parent=c) for i, c in enumerate(competitors, start=1) for k in range(1, per_comp + 1)],
            batch_size=500)
        if any(u.pk is None for u in teams):  # older back-ends do not return ids from bulk_create
            ids = dict(Unit.objects.filter(campaign=campaign).values_list("code", "id"))
            for u in teams:
                u.pk = u.id = ids[u.code]
        machines = Machine.objects.bulk_create(
            [Machine(campaign=campaign, code=f"M{i:05d}") for i in range(1, n_machines + 1)], batch_size=1000)
        team_of = [teams[i % len(teams)] for i in range(n_machines)]
        days = [config.start + dt.timedelta(days=d) for d in range(DAYS)]
        # Each competitor works at its own pace (70%–130% of the target), so that some finish early, some late,
        # some never; every machine-day draws around it.
        pace = {c.pk: rng.uniform(0.7, 1.3) for c in competitors}
        assignments = []
        for i, (m, t) in enumerate(zip(machines, team_of, strict=True)):
            if i % 4 == 3:
                assignments.append(Assignment(machine=m, team=t, start=config.start, end=config.deadline,
                                              quota=DAILY_TARGET * DAYS + rng.randint(-500, 500)))
            else:
                assignments.append(Assignment(machine=m, team=t, start=config.start, end=config.deadline,
                                              daily_target=DAILY_TARGET))
        Assignment.objects.bulk_create(assignments, batch_size=1000)
        changeset = changeset_open(campaign=campaign, actor=common.ACTOR, source="import", reason="benchmark")
    plan = [(m.pk, communes[i % len(communes)], t.pk, pace[t.parent_id])
            for i, (m, t) in enumerate(zip(machines, team_of, strict=True))]
    total = rows = 0

    def records():
        nonlocal total, rows
        for day in days:
            shown = day.isoformat()
            for machine, commune, team, speed in plan:
                n = max(0, int(rng.gauss(DAILY_TARGET * speed, 40)))
                total += n
                rows += 1
                yield (campaign.pk, shown, machine, commune, team, n, changeset.pk)

    columns = "campaign_id, day, machine_id, commune_id, team_id, applications, changeset_id"
    with transaction.atomic():
        raw = connection.connection  # the driver's own connection, inside Django's transaction
        if connection.vendor == "postgresql":
            with raw.cursor() as cur, cur.copy(f"COPY intake_intakerecord ({columns}) FROM STDIN") as copy:
                for row in records():
                    copy.write_row(row)
        else:
            raw.executemany(f"INSERT INTO intake_intakerecord ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?)", records())
        changeset_seal(changeset)  # the data's act in the history's chain: the database's history verifies
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return {"competitors": n_comp, "teams": len(teams), "machines": n_machines, "days": DAYS, "rows": rows,
            "total": total, "team_days": len(teams) * DAYS}


# --- main ---------------------------------------------------------------------------------------------------

def main() -> None:
    if (argv := common.child_args()) is not None:
        _child(argv)
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", choices=tuple(SCALES), default="national")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (and the database)")
    parser.add_argument("--profile", action="store_true",
                        help="also run the standings once under cProfile and print where the time goes")
    args = parser.parse_args()
    with common.workspace("thidua-bench-standings-", "thidua_bench_standings", args.keep) as workdir:
        _bench(args, workdir)


def _bench(args, workdir: Path) -> None:
    from django.db import connections

    t0 = time.perf_counter()
    campaign, config, communes = _setup_campaign()
    print(f"Territory and campaign: {time.perf_counter() - t0:.0f} s ({len(communes):,} communes)", flush=True)
    t1 = time.perf_counter()
    plan = _load(campaign, config, communes, args.scale)
    print(f"Data (not measured): {time.perf_counter() - t1:.0f} s — {plan['competitors']:,} competitors, "
          f"{plan['teams']:,} teams, {plan['machines']:,} machines, {plan['days']} days "
          f"({config.start:%d/%m/%Y}–{config.deadline:%d/%m/%Y}), {plan['rows']:,} intake rows, "
          f"so_ho_so sum {plan['total']:,}, {plan['team_days']:,} (team, day) groups", flush=True)
    connections.close_all()

    print(f"\nfloor (GROUP BY team, day) × {RUNS}…", flush=True)
    floors = [_run_child("floor") for _ in range(RUNS)]
    print(f"standings (campaign_standings) × {RUNS}…", flush=True)
    stands = [_run_child("standings") for _ in range(RUNS)]
    print(f"thidua score --format json × {RUNS}…", flush=True)
    clis = [_run_cli(config.deadline) for _ in range(RUNS)]
    print(f"forecast (campaign_forecast, commune_forecasts) × {RUNS}…", flush=True)
    forecasts = [_run_child("forecast") for _ in range(RUNS)]
    print(f"thidua forecast --format json × {RUNS}…", flush=True)
    forecast_clis = [_run_cli(config.deadline, "forecast") for _ in range(RUNS)]

    def best(rs):
        return min(rs, key=lambda r: r["seconds"])

    f, s, c, fc, fcli = best(floors), best(stands), best(clis), best(forecasts), best(forecast_clis)
    ok_floor = all((r["rows"], r["sum"]) == (plan["team_days"], plan["total"]) for r in floors)
    ok_stand = all((r["teams"], r["intake"], r["team_days"], r["competitors"], r["final"]) ==
                   (plan["teams"], plan["total"], plan["team_days"], plan["competitors"], True) for r in stands)
    digests = {r["digest"] for r in stands}
    print(f"floors: {f['rows']:,} rows, sum {f['sum']:,} — {'VERIFIED' if ok_floor else 'MISMATCH'}")
    print(f"standings: {s['competitors']:,} competitors ({s['eligible']} eligible), {s['teams']:,} teams, "
          f"intake {s['intake']:,}, budget {s['budget_vnd']:,} đ — {'VERIFIED' if ok_stand else 'MISMATCH'}; "
          f"digest {', '.join(sorted(digests))}{'' if len(digests) == 1 else ' (runs differ!)'}")
    print(f"cli exit codes: {[r['rc'] for r in clis]}; forecast cli: {[r['rc'] for r in forecast_clis]}")
    print(f"forecast: {fc['competitors']:,} competitors ({fc['at_risk']:,} at risk), {fc['teams']:,} teams, "
          f"{fc['communes']:,} communes")

    def runs(rs):
        return " ".join(f"{r['seconds']:.2f}" for r in rs)

    def peak_of(rs):
        return max(r["peak_mib"] for r in rs)

    peak = peak_of(stands)
    ratio = s["seconds"] / f["seconds"]
    print(f"\nResults ({connections['default'].vendor}, {args.scale}: {plan['rows']:,} rows). Wall-clock seconds: "
          "best of the runs (each a fresh process); the work only for floors and standings, with Django's start-up "
          "apart (setup: django.setup(), imports, connection; ready: from spawn, interpreter included); the whole "
          "command for the CLI. Peak = VmHWM of the process (ru_maxrss for the CLI).\n")
    common.print_table([
        ("measure", "best s", "runs s", "setup s", "ready s", "peak MiB"),
        ("a. floor: GROUP BY (team, day), fetched", f"{f['seconds']:.2f}", runs(floors), f"{f['startup_s']:.2f}",
         f"{f['ready_s']:.2f}", f"{peak_of(floors):.0f}"),
        ("b. standings: campaign_standings()", f"{s['seconds']:.2f}", runs(stands), f"{s['startup_s']:.2f}",
         f"{s['ready_s']:.2f}", f"{peak:.0f}"),
        ("c. cli: thidua score --format json", f"{c['seconds']:.2f}", runs(clis), "(incl.)", "(incl.)",
         f"{peak_of(clis):.0f}"),
        ("d. forecast: campaign_forecast() + communes", f"{fc['seconds']:.2f}", runs(forecasts),
         f"{fc['startup_s']:.2f}", f"{fc['ready_s']:.2f}", f"{peak_of(forecasts):.0f}"),
        ("e. cli: thidua forecast --format json", f"{fcli['seconds']:.2f}", runs(forecast_clis), "(incl.)",
         "(incl.)", f"{peak_of(forecast_clis):.0f}"),
    ])
    print(f"\nb / a = {ratio:.2f}×")
    common.print_goals([
        (f"full standings ≤ {GOAL_EXTRA_S:g} s beyond Django's start-up", f"{s['seconds']:.2f} s",
         s["seconds"] <= GOAL_EXTRA_S),
        (f"full standings within {GOAL_RATIO:g}× of the floor", f"{ratio:.2f}×", ratio <= GOAL_RATIO),
        ("standings peak memory ≤ 1 GiB", f"{peak:.0f} MiB", peak <= GOAL_PEAK_MIB),
        ("forecast within 2× the standings (d / b)", f"{fc['seconds'] / s['seconds']:.2f}×",
         fc["seconds"] <= 2 * s["seconds"]),
        ("thidua forecast within 2× thidua score (e / c)", f"{fcli['seconds'] / c['seconds']:.2f}×",
         fcli["seconds"] <= 2 * c["seconds"]),
    ], 52)

    if args.profile:
        profile_to = workdir / "standings.prof"
        _run_child("standings", str(profile_to))
        common.print_profile(profile_to, "campaign_standings", cumulative=20)


if __name__ == "__main__":
    main()
