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
import random
import time
from pathlib import Path

import _common as common

PROVINCE = "93"
SEED = 2021
DAILY_TARGET = 100
MAX_COUNT = 300

GOAL_CSV_ROWS_PER_S = 50_000
GOAL_XLSX_RATIO = 2.0
GOAL_PEAK_MIB = 500


# --- measurements, each in its own process ------------------------------------------------------------------

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
    with common.profiled(profile_to):
        started = time.perf_counter()
        report = workbook_import(campaign=campaign, path=path, actor=common.ACTOR)
        seconds = time.perf_counter() - started
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
    common.report_result(result)


# --- the synthetic campaign ---------------------------------------------------------------------------------

def _setup_campaign():
    """Migrate, load the territory and the campaign; return it, its config and {district: [commune codes]}."""
    campaign, config = common.setup_campaign(PROVINCE)
    from thidua.territory.models import AdminUnit

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
    common.print_table(table)


def _print_goals(lines: list[dict]) -> None:
    checks = []
    for r in lines:
        if r["label"] == "csv":
            checks.append((f"CSV import ≥ {GOAL_CSV_ROWS_PER_S:,} rows/s", f"{r['import_rate']:,.0f} rows/s",
                           r["import_rate"] >= GOAL_CSV_ROWS_PER_S))
        if r["label"] == "xlsx":
            checks.append((f"XLSX import within {GOAL_XLSX_RATIO:g}× its floor", f"{r['ratio']:.2f}×",
                           r["ratio"] <= GOAL_XLSX_RATIO))
        checks.append((f"{r['label']} import peak memory < {GOAL_PEAK_MIB} MiB", f"{r['peak_mib']:.0f} MiB",
                       r["peak_mib"] < GOAL_PEAK_MIB))
    common.print_goals(checks, 42)


# --- main ---------------------------------------------------------------------------------------------------

def main() -> None:
    if (argv := common.child_args()) is not None:
        _child(argv)
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--format", choices=("csv", "xlsx", "both"), default="both")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (and the database)")
    parser.add_argument("--profile", action="store_true",
                        help="run the imports under cProfile and print where the time goes (slower figures)")
    args = parser.parse_args()
    formats = ["csv", "xlsx"] if args.format == "both" else [args.format]
    with common.workspace("thidua-bench-", "thidua_bench", args.keep) as workdir:
        _bench(args, formats, workdir)


def _bench(args, formats: list[str], workdir: Path) -> None:
    from django.db import connections

    t0 = time.perf_counter()
    campaign, config, districts = _setup_campaign()
    from thidua.exchange.importer import workbook_import

    days = [config.start + dt.timedelta(days=i) for i in range((config.deadline - config.start).days + 1)]
    machines = _plan(districts, len(days), args.rows, config.max_per_machine_day)
    units = workdir / "don_vi_may.xlsx"
    _write_units(units, districts, machines)
    report = workbook_import(campaign=campaign, path=units, actor=common.ACTOR)
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
        floor = common.run_child(__file__, f"floor-{fmt}", str(path))
        assert floor["rows"] == rows, floor
        print(f"[{fmt}] import…", flush=True)
        profile_to = str(workdir / f"import-{fmt}.prof") if args.profile else ""
        imp = common.run_child(__file__, "import", str(path), campaign.code, *([profile_to] if profile_to else []))
        stored = _stored(campaign)
        counts = imp["counts"].get("thu_nhan", {})
        verdict = "VERIFIED" if stored == (rows, total) and imp["ok"] else "MISMATCH"
        print(f"[{fmt}] report ok={imp['ok']} errors={imp['errors']} counts={counts}; "
              f"stored rows={stored[0]:,} sum={stored[1]:,} — {verdict} (expected {rows:,} / {total:,})")
        for e in imp["first_errors"]:
            print("   ", e)
        lines.append(_line(fmt, rows, floor, imp))
        if profile_to:
            common.print_profile(Path(profile_to), f"the {fmt} import")
        connections.close_all()
        if fmt == "csv":
            print("[csv] repeated import (all rows unchanged)…", flush=True)
            again = common.run_child(__file__, "import", str(path), campaign.code)
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
