"""Benchmark of the intake import (`thidua import`): a million `thu_nhan` rows, CSV and XLSX.

    .venv/bin/python bench/bench_import.py [--rows 1000000] [--format csv|xlsx|both] [--keep] [--profile]

What it does:
1. A fresh database: a SQLite file in a temporary folder, unless DATABASE_URL is set. A PostgreSQL
   database named there is dropped and created again (its name must contain "bench", so that a working
   database is never dropped by mistake); a SQLite file named there is deleted first (same rule).
   Then `migrate`, the territory of Hậu Giang (93, legacy structure) and the reference campaign.
2. Synthetic units and machines (one `to` per district, serving the district through its parent
   `cong_an_huyen`; enough machines, each assigned to one team for the whole campaign with chi_tieu_ngay)
   imported as a small workbook; then N intake rows, every one valid and with a distinct
   (day, machine, commune) key, written as thu_nhan.csv and as thu_nhan.xlsx (openpyxl write-only).
   Generation is not measured.
3. FLOOR: reading the same file and doing nothing else (csv.reader; openpyxl read-only iter_rows).
4. IMPORT: `workbook_import` into an empty intake table, then the stored rows and their sum are checked.
5. REPEAT: the same CSV imported again (every row unchanged).
Each measurement runs in a fresh subprocess that reports its wall time (of the work only, not the start-up)
and its peak resident memory (VmHWM). The exit code is 0 whatever the figures: a benchmark, not a test.
"""

import argparse
import contextlib
import csv
import datetime as dt
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CAMPAIGN_FILE = ROOT / "campaigns" / "hau-giang-2021.toml"
PROVINCE = "93"
SEED = 2021
DAILY_TARGET = 100
MAX_COUNT = 300
ACTOR = "bench"
RESULT_TAG = "BENCH-RESULT "

GOAL_CSV_ROWS_PER_S = 50_000
GOAL_XLSX_RATIO = 2.0
GOAL_PEAK_MIB = 500


# --- measurements, each in its own process ------------------------------------------------------------------

def _peak_mib() -> float:
    """Return this process's peak resident memory in MiB (VmHWM; ru_maxrss where /proc is missing)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _floor_csv(path: Path) -> dict:
    started = time.perf_counter()
    n = 0
    with open(path, encoding="utf-8", newline="") as fh:
        for _row in csv.reader(fh):
            n += 1
    return {"seconds": time.perf_counter() - started, "rows": n - 1}


def _floor_xlsx(path: Path) -> dict:
    import openpyxl

    started = time.perf_counter()
    wb = openpyxl.load_workbook(path, read_only=True)
    n = 0
    for _row in wb["thu_nhan"].iter_rows(values_only=True):
        n += 1
    wb.close()
    return {"seconds": time.perf_counter() - started, "rows": n - 1}


def _import(path: Path, campaign_code: str, profile_to: str | None) -> dict:
    import django

    django.setup()
    from thidua.campaigns.models import Campaign
    from thidua.exchange.importer import workbook_import

    campaign = Campaign.objects.get(code=campaign_code)
    profiler = None
    if profile_to:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started = time.perf_counter()
    report = workbook_import(campaign=campaign, path=path, actor=ACTOR)
    seconds = time.perf_counter() - started
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile_to)
    return {"seconds": seconds, "ok": report.ok, "errors": len(report.errors),
            "first_errors": [str(e) for e in report.errors[:5]],
            "counts": {k: vars(v) for k, v in report.counts.items()}}


def _child(argv: list[str]) -> None:
    mode, path = argv[0], Path(argv[1])
    if mode == "floor-csv":
        result = _floor_csv(path)
    elif mode == "floor-xlsx":
        result = _floor_xlsx(path)
    else:
        result = _import(path, argv[2], argv[3] if len(argv) > 3 else None)
    result["peak_mib"] = _peak_mib()
    print(RESULT_TAG + json.dumps(result), flush=True)


def _run_child(*args: str) -> dict:
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, PYTHONPATH=path)
    proc = subprocess.run([sys.executable, __file__, "--child", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False)
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_TAG):
            return json.loads(line[len(RESULT_TAG):])
    sys.stderr.write(proc.stdout + proc.stderr)
    raise SystemExit(f"measurement {args[0]} failed (exit {proc.returncode})")


# --- the database -------------------------------------------------------------------------------------------

def _fresh_database(workdir: Path) -> dict:
    """Point DATABASE_URL at an empty database; return what is needed to drop it afterwards."""
    import dj_database_url

    url = os.environ.get("DATABASE_URL", "")
    if not url:
        url = f"sqlite:///{workdir / 'bench.sqlite3'}"
        os.environ["DATABASE_URL"] = url
        return {"vendor": "sqlite", "name": str(workdir / "bench.sqlite3"), "url": url}
    db = dj_database_url.parse(url)
    name = str(db["NAME"])
    if "bench" not in Path(name).name:
        raise SystemExit(f"DATABASE_URL names the database «{name}»: the benchmark drops and recreates its "
                         "database, so its name must contain 'bench' (e.g. thidua_bench).")
    if "sqlite" in db["ENGINE"]:
        for suffix in ("", "-wal", "-shm"):
            Path(name + suffix).unlink(missing_ok=True)
        return {"vendor": "sqlite", "name": name, "url": url}
    if "postgresql" not in db["ENGINE"]:
        raise SystemExit(f"unsupported database engine {db['ENGINE']}")
    import psycopg
    from psycopg import sql

    params = {"host": db.get("HOST") or None, "port": db.get("PORT") or None, "user": db.get("USER") or None,
              "password": db.get("PASSWORD") or None, "dbname": "postgres"}
    with psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return {"vendor": "postgresql", "name": name, "url": url, "params": params}


def _drop_database(info: dict) -> None:
    if info["vendor"] != "postgresql":
        return
    import psycopg
    from psycopg import sql

    with psycopg.connect(**{k: v for k, v in info["params"].items() if v}, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(info["name"])))


# --- the synthetic campaign ---------------------------------------------------------------------------------

def _setup_campaign():
    """Migrate, load the territory and the campaign; return it, its config and {district: [commune codes]}."""
    import django

    django.setup()
    from django.core.management import call_command

    from thidua.campaigns.config import load_config
    from thidua.campaigns.services import campaign_init
    from thidua.territory.models import AdminUnit
    from thidua.territory.services import territory_load

    call_command("migrate", verbosity=0)
    territory_load(province=PROVINCE)
    config = load_config(CAMPAIGN_FILE)
    campaign, _ = campaign_init(config=config, actor=ACTOR, reason="benchmark")
    districts: dict[str, list[str]] = {}
    communes = AdminUnit.objects.communes_of(campaign.structure, campaign.province_code)
    for code, district in communes.order_by("code").values_list("code", "parent__code"):
        districts.setdefault(district, []).append(code)
    return campaign, config, dict(sorted(districts.items()))


def _plan(districts: dict[str, list[str]], days: int, rows: int, limit: int) -> list[tuple]:
    """Return the machines (code, team code, communes, largest count) with room for `rows` distinct keys."""
    machines, capacity, n = [], 0, 0
    order = list(districts)
    while capacity * days < rows:
        district = order[n % len(order)]
        communes = districts[district]
        # Every count ≤ this, so that a machine's day (one row per commune of its area) stays ≤ the limit.
        largest = min(MAX_COUNT, limit // len(communes))
        n += 1
        machines.append((f"M{n:05d}", f"TO-{district}", communes, largest))
        capacity += len(communes)
    return machines


def _write_units(path: Path, districts: dict, machines: list) -> None:
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("don_vi")
    ws.append(["ma_don_vi", "ten_don_vi", "loai", "ma_don_vi_cap_tren", "dia_ban", "nhom_thi_dua"])
    for district in districts:
        ws.append([f"CAH-{district}", f"Công an huyện {district} (tổng hợp)", "cong_an_huyen", "", district,
                   "cap_huyen"])
        ws.append([f"TO-{district}", f"Tổ cấp CCCD {district} (tổng hợp)", "to", f"CAH-{district}", "", ""])
    ws = wb.create_sheet("may")
    ws.append(["ma_may", "ma_to", "tu_ngay", "den_ngay", "chi_tieu_ngay"])
    for code, team, _communes, _largest in machines:
        ws.append([code, team, None, None, DAILY_TARGET])
    wb.save(path)


def _write_intake(csv_path: Path | None, xlsx_path: Path | None, days: list[dt.date], machines: list,
                  rows: int) -> tuple[int, int]:
    """Write the same rows to the CSV and/or the workbook; return (rows, sum of so_ho_so)."""
    import openpyxl

    rng = random.Random(SEED)
    total = written = 0
    header = ["ngay", "ma_may", "ma_xa", "so_ho_so"]
    with contextlib.ExitStack() as stack:
        writer = ws = wb = None
        if csv_path is not None:
            writer = csv.writer(stack.enter_context(open(csv_path, "w", encoding="utf-8", newline="")))
            writer.writerow(header)
        if xlsx_path is not None:
            wb = openpyxl.Workbook(write_only=True)
            ws = wb.create_sheet("thu_nhan")
            ws.append(header)
        for day in days:
            shown = f"{day:%d/%m/%Y}"
            for code, _team, communes, largest in machines:
                for commune in communes:
                    if written == rows:
                        break
                    count = rng.randint(0, largest)
                    if writer is not None:
                        writer.writerow((shown, code, commune, count))
                    if ws is not None:
                        ws.append((day, code, commune, count))
                    written += 1
                    total += count
        if wb is not None:
            wb.save(xlsx_path)
    return written, total


def _stored(campaign) -> tuple[int, int]:
    from django.db.models import Count, Sum

    from thidua.intake.models import IntakeRecord

    agg = IntakeRecord.objects.filter(campaign=campaign).aggregate(n=Count("id"), s=Sum("applications"))
    return agg["n"], agg["s"] or 0


def _empty_intake(campaign) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM intake_intakerecord WHERE campaign_id = %s", [campaign.id])
        cursor.execute("VACUUM" if connection.vendor == "sqlite" else "VACUUM ANALYZE intake_intakerecord")


# --- the report ---------------------------------------------------------------------------------------------

def _fmt_rate(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _fmt(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def _line(label: str, rows: int, floor: dict, imp: dict) -> dict:
    return {"label": label, "rows": rows, "floor_s": floor["seconds"], "floor_rate": rows / floor["seconds"],
            "floor_peak_mib": floor["peak_mib"], "import_s": imp["seconds"],
            "import_rate": rows / imp["seconds"], "ratio": imp["seconds"] / floor["seconds"],
            "peak_mib": imp["peak_mib"]}


def _print_table(lines: list[dict]) -> None:
    headers = ["format", "rows", "floor s", "floor rows/s", "import s", "import rows/s", "import/floor",
               "peak MiB", "floor peak MiB"]
    table = [headers]
    for r in lines:
        table.append([r["label"], f"{r['rows']:,}", _fmt(r.get("floor_s"), ".2f"),
                      _fmt_rate(r.get("floor_rate")), _fmt(r["import_s"], ".2f"), _fmt_rate(r["import_rate"]),
                      _fmt(r.get("ratio"), ".2f"), _fmt(r["peak_mib"], ".0f"),
                      _fmt(r.get("floor_peak_mib"), ".0f")])
    widths = [max(len(row[i]) for row in table) for i in range(len(headers))]
    for i, row in enumerate(table):
        cells = zip(row, widths, strict=True)
        print("  ".join(cell.ljust(w) if j == 0 else cell.rjust(w) for j, (cell, w) in enumerate(cells)))
        if i == 0:
            print("  ".join("-" * w for w in widths))


def _print_goals(lines: list[dict]) -> None:
    print("\nGoals:")
    for r in lines:
        checks = []
        if r["label"] == "csv":
            checks.append((f"CSV import ≥ {GOAL_CSV_ROWS_PER_S:,} rows/s", f"{r['import_rate']:,.0f} rows/s",
                           r["import_rate"] >= GOAL_CSV_ROWS_PER_S))
        if r["label"] == "xlsx":
            checks.append((f"XLSX import within {GOAL_XLSX_RATIO:g}× its floor", f"{r['ratio']:.2f}×",
                           r["ratio"] <= GOAL_XLSX_RATIO))
        checks.append((f"{r['label']} import peak memory < {GOAL_PEAK_MIB} MiB", f"{r['peak_mib']:.0f} MiB",
                       r["peak_mib"] < GOAL_PEAK_MIB))
        for goal, got, ok in checks:
            print(f"  {'PASS' if ok else 'MISS'}  {goal:<42} {got}")


def _print_profile(path: Path, label: str) -> None:
    import pstats

    print(f"\ncProfile of the {label} import (times inflated by the profiler), top 25 by own time:")
    pstats.Stats(str(path)).sort_stats("tottime").print_stats(25)


# --- main ---------------------------------------------------------------------------------------------------

def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--format", choices=("csv", "xlsx", "both"), default="both")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (and the database)")
    parser.add_argument("--profile", action="store_true",
                        help="run the imports under cProfile and print where the time goes (slower figures)")
    args = parser.parse_args()
    formats = ["csv", "xlsx"] if args.format == "both" else [args.format]

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "thidua.settings"
    workdir = Path(tempfile.mkdtemp(prefix="thidua-bench-"))
    db = _fresh_database(workdir)
    print(f"Working folder: {workdir}\nDatabase: {db['vendor']} {db['name']}")
    try:
        _bench(args, formats, workdir)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            _drop_database(db)
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"\nKept {workdir} and the database {db['name']}.")


def _bench(args, formats: list[str], workdir: Path) -> None:
    from django.db import connections

    t0 = time.perf_counter()
    campaign, config, districts = _setup_campaign()
    from thidua.exchange.importer import workbook_import

    days = [config.start + dt.timedelta(days=i) for i in range((config.deadline - config.start).days + 1)]
    machines = _plan(districts, len(days), args.rows, config.max_per_machine_day)
    units = workdir / "don_vi_may.xlsx"
    _write_units(units, districts, machines)
    report = workbook_import(campaign=campaign, path=units, actor=ACTOR)
    if not report.ok:
        raise SystemExit("units/machines workbook refused:\n" + "\n".join(str(e) for e in report.errors[:20]))
    (workdir / "csv").mkdir()
    csv_path = workdir / "csv" / "thu_nhan.csv" if "csv" in formats else None
    xlsx_path = workdir / "thu_nhan.xlsx" if "xlsx" in formats else None
    rows, total = _write_intake(csv_path, xlsx_path, days, machines, args.rows)
    print(f"Set-up (not measured): {time.perf_counter() - t0:.0f} s — {len(districts)} teams, "
          f"{len(machines)} machines, {len(days)} days, {rows:,} rows, so_ho_so sum {total:,}")
    for p in (csv_path, xlsx_path):
        if p is not None:
            print(f"  {p.name}: {p.stat().st_size / 2**20:.1f} MiB")
    if rows < args.rows:
        print(f"  (only {rows:,} distinct keys fit)")
    connections.close_all()

    lines = []
    for fmt in formats:
        path = csv_path if fmt == "csv" else xlsx_path
        if fmt == "xlsx" and "csv" in formats:
            _empty_intake(campaign)
            connections.close_all()
        assert _stored(campaign) == (0, 0), "the intake table should be empty before the import"
        connections.close_all()
        print(f"\n[{fmt}] floor…", flush=True)
        floor = _run_child(f"floor-{fmt}", str(path))
        assert floor["rows"] == rows, floor
        print(f"[{fmt}] import…", flush=True)
        profile_to = str(workdir / f"import-{fmt}.prof") if args.profile else ""
        imp = _run_child("import", str(path), campaign.code, *([profile_to] if profile_to else []))
        stored = _stored(campaign)
        counts = imp["counts"].get("thu_nhan", {})
        verdict = "VERIFIED" if stored == (rows, total) and imp["ok"] else "MISMATCH"
        print(f"[{fmt}] report ok={imp['ok']} errors={imp['errors']} counts={counts}; "
              f"stored rows={stored[0]:,} sum={stored[1]:,} — {verdict} (expected {rows:,} / {total:,})")
        for e in imp["first_errors"]:
            print("   ", e)
        lines.append(_line(fmt, rows, floor, imp))
        if profile_to:
            _print_profile(Path(profile_to), fmt)
        connections.close_all()
        if fmt == "csv":
            print("[csv] repeated import (all rows unchanged)…", flush=True)
            again = _run_child("import", str(path), campaign.code)
            counts = again["counts"].get("thu_nhan", {})
            same = _stored(campaign) == (rows, total) and counts.get("unchanged") == rows and again["ok"]
            print(f"[csv] repeat report ok={again['ok']} counts={counts} — "
                  f"{'VERIFIED unchanged' if same else 'MISMATCH'}")
            lines.append(_line("csv repeat", rows, floor, again))
            connections.close_all()

    print(f"\nResults ({connections['default'].vendor}, {rows:,} rows; times are wall-clock of the work in a "
          "fresh process, peak = VmHWM of that process):\n")
    _print_table(lines)
    _print_goals(lines)


if __name__ == "__main__":
    main()
