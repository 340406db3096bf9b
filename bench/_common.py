"""What the benchmarks in bench/ share: a fresh database, the campaign, measurements in child processes, the report.

Imported as `_common` by bench/bench_*.py. They run as scripts (bench/ is not a package), so their folder is first
on sys.path, in the parent as in the children, which are the same script run again with `--child`.
"""

import contextlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CAMPAIGN_FILE = ROOT / "campaigns" / "hau-giang-2021.toml"
ACTOR = "bench"
RESULT_TAG = "BENCH-RESULT "


# --- measurements, each in its own process ------------------------------------------------------------------

def child_args() -> list[str] | None:
    """Return the arguments after `--child` when this process is a measurement, else None."""
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        return sys.argv[2:]
    return None


def peak_mib() -> float:
    """Return this process's peak resident memory in MiB (VmHWM; ru_maxrss where /proc is missing)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report_result(result: dict) -> None:
    """Print a child's result for its parent, with the peak memory unless the child took it already."""
    # A child may take its peak before work that is not measured (e.g. a digest of what it computed).
    result.setdefault("peak_mib", peak_mib())
    print(RESULT_TAG + json.dumps(result), flush=True)


def child_env(**extra: str) -> dict:
    """Return the environment for a child: ours, the project root first on PYTHONPATH, plus `extra`."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return dict(os.environ, PYTHONPATH=path, **extra)


def run_child(script: str, *args: str, env: dict | None = None) -> dict:
    """Run `script --child args` in a fresh interpreter; return the result it printed (exit if none)."""
    proc = subprocess.run([sys.executable, script, "--child", *args], cwd=ROOT,
                          env=child_env() if env is None else env, capture_output=True, text=True, check=False)
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_TAG):
            return json.loads(line[len(RESULT_TAG):])
    sys.stderr.write(proc.stdout + proc.stderr)
    raise SystemExit(f"measurement {args[0]} failed (exit {proc.returncode})")


@contextlib.contextmanager
def profiled(path: str | None):
    """Run the body under cProfile and dump the stats to `path`; run it plainly when `path` is empty."""
    if not path:
        yield
        return
    import cProfile

    profiler = cProfile.Profile()
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()
        profiler.dump_stats(path)


# --- the database -------------------------------------------------------------------------------------------

def fresh_database(workdir: Path, example: str) -> dict:
    """Point DATABASE_URL at an empty database; return what is needed to drop it afterwards.

    `example` is a database name to suggest when DATABASE_URL names one without "bench" in it.
    """
    import dj_database_url

    url = os.environ.get("DATABASE_URL", "")
    if not url:
        url = f"sqlite:///{workdir / 'bench.sqlite3'}"
        os.environ["DATABASE_URL"] = url
        return {"vendor": "sqlite", "name": str(workdir / "bench.sqlite3"), "url": url}
    db = dj_database_url.parse(url)
    name = str(db["NAME"])
    # The database is dropped: a name without "bench" is more likely a working database named by mistake.
    if "bench" not in Path(name).name:
        raise SystemExit(f"DATABASE_URL names the database «{name}»: the benchmark drops and recreates its "
                         f"database, so its name must contain 'bench' (e.g. {example}).")
    if "sqlite" in db["ENGINE"]:
        for suffix in ("", "-wal", "-shm"):
            Path(name + suffix).unlink(missing_ok=True)
        return {"vendor": "sqlite", "name": name, "url": url}
    if "postgresql" not in db["ENGINE"]:
        raise SystemExit(f"unsupported database engine {db['ENGINE']}")
    import psycopg
    from psycopg import sql

    # Connected to the maintenance database: one cannot drop the database one is connected to.
    params = {"host": db.get("HOST") or None, "port": db.get("PORT") or None, "user": db.get("USER") or None,
              "password": db.get("PASSWORD") or None, "dbname": "postgres"}
    with psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return {"vendor": "postgresql", "name": name, "url": url, "params": params}


def drop_database(info: dict) -> None:
    """Drop a PostgreSQL database made by fresh_database (a SQLite file goes with its folder)."""
    if info["vendor"] != "postgresql":
        return
    import psycopg
    from psycopg import sql

    with psycopg.connect(**{k: v for k, v in info["params"].items() if v}, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(info["name"])))


@contextlib.contextmanager
def workspace(prefix: str, example: str, keep: bool):
    """Yield a temporary folder, with a fresh database behind DATABASE_URL; remove both afterwards unless `keep`."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "thidua.settings"
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    db = fresh_database(workdir, example)
    print(f"Working folder: {workdir}\nDatabase: {db['vendor']} {db['name']}")
    try:
        yield workdir
    finally:
        from django.db import connections

        # PostgreSQL refuses to drop a database with open sessions (ours included).
        connections.close_all()
        if not keep:
            drop_database(db)
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"\nKept {workdir} and the database {db['name']}.")


def setup_campaign(province: str, adjust=None):
    """Migrate, load the territory of `province` and create the reference campaign; return it and its config.

    `adjust`, when given, turns the settings read from the file into those of the campaign to create.
    """
    import django

    django.setup()
    from django.core.management import call_command

    from thidua.campaigns.config import load_config
    from thidua.campaigns.services import campaign_init
    from thidua.territory.services import territory_load

    call_command("migrate", verbosity=0)
    territory_load(province=province, actor=ACTOR)
    config = load_config(CAMPAIGN_FILE)
    if adjust is not None:
        config = adjust(config)
    campaign, _ = campaign_init(config=config, actor=ACTOR, reason="benchmark")
    return campaign, config


# --- the report ---------------------------------------------------------------------------------------------

def print_table(table: list) -> None:
    """Print rows of strings as aligned columns: the first row is the header, the first column left-aligned."""
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for i, row in enumerate(table):
        cells = zip(row, widths, strict=True)
        print("  ".join(cell.ljust(w) if j == 0 else cell.rjust(w) for j, (cell, w) in enumerate(cells)))
        if i == 0:
            print("  ".join("-" * w for w in widths))


def print_goals(checks: list[tuple[str, str, bool]], width: int) -> None:
    """Print a PASS or MISS line per (goal, figure obtained, met) under a "Goals:" heading."""
    print("\nGoals:")
    for goal, got, ok in checks:
        print(f"  {'PASS' if ok else 'MISS'}  {goal:<{width}} {got}")


def print_profile(path: Path, what: str, cumulative: int = 0) -> None:
    """Print the top 25 functions by own time of a cProfile dump, then the top `cumulative` by cumulative time."""
    import pstats

    print(f"\ncProfile of {what} (times inflated by the profiler), top 25 by own time:")
    pstats.Stats(str(path)).sort_stats("tottime").print_stats(25)
    if cumulative:
        print(f"… and top {cumulative} by cumulative time:")
        pstats.Stats(str(path)).sort_stats("cumulative").print_stats(cumulative)
