"""Imports as separate processes, as on a server: concurrent writers and a crash half-way lose or double nothing.

These run the real `thidua` command in subprocesses against a database of their own (a SQLite file, or a
PostgreSQL database created for the test when the suite runs on PostgreSQL), because what is tested —
two transactions at once, a process killed mid-write — cannot happen inside one test transaction.
"""

import csv
import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

REPO = Path(__file__).resolve().parent.parent
DAYS = 120
START = dt.date(2021, 3, 1)
VI_THANH = ["31318", "31321", "31324", "31327", "31330", "31333", "31336", "31338", "31339"]

pytestmark = pytest.mark.slow


def _run(env, *args, check=True) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "thidua", *args], env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    if check:
        assert done.returncode == 0, done.stderr
    return done


@pytest.fixture
def database(tmp_path):
    """Return (environment, query function) for a fresh, migrated database with the reference campaign."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("postgresql"):
        import psycopg

        name = f"thidua_proc_{os.getpid()}"
        admin = dict(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"], dbname="postgres",
                     autocommit=True)
        with psycopg.connect(**admin) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name}")
            conn.execute(f"CREATE DATABASE {name}")
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{admin['host']}:{admin['port']}/{name}"

        def query(sql):
            with psycopg.connect(env["DATABASE_URL"].replace("postgres://", "postgresql://")) as conn:
                return conn.execute(sql).fetchone()
    else:
        path = tmp_path / "proc.sqlite3"
        env["DATABASE_URL"] = f"sqlite:///{path}"

        def query(sql):
            with sqlite3.connect(path) as conn:
                return conn.execute(sql).fetchone()
    _run(env, "migrate", "-v0")
    _run(env, "load-territory", "--province", "93")
    _run(env, "init-campaign", str(REPO / "campaigns" / "hau-giang-2021.toml"))
    units = tmp_path / "units"
    units.mkdir()
    _write(units / "don_vi.csv", [["ma_don_vi", "ten_don_vi", "loai", "ma_don_vi_cap_tren", "dia_ban", "nhom_thi_dua"],
                                  ["CAH-VTH", "Công an thành phố Vị Thanh", "cong_an_huyen", "", "930", "cap_huyen"],
                                  ["TO-VTH", "Tổ lưu động Vị Thanh", "to", "CAH-VTH", "", ""]])
    machines = [[f"M{i:03d}", "TO-VTH", 500] for i in range(400)]
    _write(units / "may.csv", [["ma_may", "ma_to", "chi_tieu_ngay"], *machines])
    _run(env, "import", "hau-giang-2021", str(units))
    yield env, query
    if db["ENGINE"].endswith("postgresql"):
        with psycopg.connect(**admin) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _write(path: Path, rows) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def _intake(path: Path, machines: int) -> tuple[Path, int, int]:
    """Write thu_nhan.csv with one row per (day, machine, commune); return it, its rows and their total."""
    rows, total = [["ngay", "ma_may", "ma_xa", "so_ho_so"]], 0
    for d in range(DAYS):
        day = (START + dt.timedelta(days=d)).isoformat()
        for m in range(machines):
            for i, commune in enumerate(VI_THANH):
                n = (d * 7 + m * 3 + i) % 150
                rows.append([day, f"M{m:03d}", commune, n])
                total += n
    path.mkdir(parents=True, exist_ok=True)
    return _write(path / "thu_nhan.csv", rows), len(rows) - 1, total


def test_concurrent_imports_of_one_file_store_each_row_once(database, tmp_path):
    env, query = database
    path, rows, total = _intake(tmp_path / "a", machines=10)
    procs = [subprocess.Popen([sys.executable, "-m", "thidua", "import", "hau-giang-2021", str(path)], env=env,
                              cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(3)]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [o[1] for o in outputs]
    added = [o[0] for o in outputs if f"thu_nhan: thêm {rows}," in o[0]]
    unchanged = [o[0] for o in outputs if f"thu_nhan: thêm 0, không đổi {rows}," in o[0]]
    assert (len(added), len(unchanged)) == (1, 2), outputs
    assert query("SELECT COUNT(*), SUM(applications) FROM intake_intakerecord") == (rows, total)


def test_a_process_killed_half_way_leaves_nothing_then_the_import_completes(database, tmp_path):
    env, query = database
    path, rows, total = _intake(tmp_path / "b", machines=400)
    proc = subprocess.Popen([sys.executable, "-m", "thidua", "import", "hau-giang-2021", str(path)], env=env,
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(3)  # start-up is about one second; the import of these rows takes several more
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the import finished before it could be killed: use more rows"
    assert query("SELECT COUNT(*) FROM intake_intakerecord") == (0,)
    assert query("SELECT COUNT(*) FROM audit_changeset WHERE file_name = 'b'") == (0,)
    done = _run(env, "import", "hau-giang-2021", str(path))
    assert f"thu_nhan: thêm {rows}," in done.stdout
    assert query("SELECT COUNT(*), SUM(applications) FROM intake_intakerecord") == (rows, total)
