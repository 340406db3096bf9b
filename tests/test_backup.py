"""`thidua backup FILE` and `thidua restore FILE`: one portable file, a consistent snapshot while another process
writes, restored into an empty database of either kind with the same standings and a history that verifies; a
damaged, tampered or incompatible file, a non-empty database and a missing key are refused, nothing written.

The commands run in subprocesses against databases of their own (SQLite files; PostgreSQL databases created for
the test), as on a server: a snapshot taken while another process commits cannot happen inside a test transaction.
"""

import contextlib
import csv
import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import BASE, REPO
from django.conf import settings
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.slow
CAMPAIGN = "hau-giang-2021"
AS_OF = ["--as-of", "2021-07-01"]
PG_ADMIN = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "postgres", "autocommit": True,
            "connect_timeout": 3}
WRITER = """
import datetime as dt, os, pathlib, time
from thidua.campaigns.models import Campaign
from thidua.intake.services import report_save, report_submit
from thidua.units.models import Unit
campaign = Campaign.objects.get(code="hau-giang-2021")
team = Unit.objects.get(campaign=campaign, code="TO-VTH-1")
stop, day = pathlib.Path(os.environ["STOP_FILE"]), dt.date(2021, 4, 1)
while not stop.exists() and day <= campaign.deadline:
    report_save(campaign=campaign, team=team, day=day, rows=[("M-VTH-01", "31318", day.day)], actor="to-vth")
    report_submit(campaign=campaign, team=team, day=day, actor="to-vth")
    print(day, flush=True)
    day += dt.timedelta(days=1)
    time.sleep(0.2)  # a clerk's pace: the days last well beyond a backup, however loaded the machine
"""


def _pg_available() -> bool:
    import psycopg

    try:
        with psycopg.connect(**PG_ADMIN):
            return True
    except psycopg.OperationalError:
        return False


def _suite_kind() -> str:
    return "postgresql" if settings.DATABASES["default"]["ENGINE"].endswith("postgresql") else "sqlite"


class Instances:
    """Fresh, migrated instances (a database and a data folder each) of either kind, dropped at the end; each a copy
    of one migrated once per kind (a file copied, or a PostgreSQL template), which is much faster than migrating."""

    def __init__(self, folder: Path):
        self.folder, self.created, self.count, self.blank = folder, [], 0, {}

    def _env(self, kind: str, name: str) -> dict:
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "THIDUA_DATA_DIR"}}
        env["THIDUA_DATA_DIR"] = str(self.folder / f"{name}-data")
        env["DATABASE_URL"] = (f"postgres://postgres@127.0.0.1:5432/{name}" if kind == "postgresql"
                               else f"sqlite:///{self.folder / name}.sqlite3")
        return env

    def _create(self, kind: str, name: str, template: str | None) -> None:
        if kind == "postgresql":
            import psycopg

            with psycopg.connect(**PG_ADMIN) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {name}")
                conn.execute(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
            self.created.append(name)
        elif template:
            shutil.copyfile(self.folder / f"{template}.sqlite3", self.folder / f"{name}.sqlite3")

    def new(self, kind: str) -> dict:
        if kind not in self.blank:
            self.blank[kind] = f"thidua_backup_{os.getpid()}_{kind[:2]}0"
            self._create(kind, self.blank[kind], None)
            run(self._env(kind, self.blank[kind]), "migrate", "-v0")
        self.count += 1
        name = f"thidua_backup_{os.getpid()}_{self.count}"
        self._create(kind, name, self.blank[kind])
        return self._env(kind, name)

    def drop(self) -> None:
        if self.created:
            import psycopg

            with psycopg.connect(**PG_ADMIN) as conn:
                for name in reversed(self.created):
                    conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def run(env, *args, check=True) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "thidua", *args], env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=600)
    if check:
        assert done.returncode == 0, done.stderr + done.stdout
    return done


def _csv_folder(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for sheet, rows in BASE.items():
        with open(folder / f"{sheet}.csv", "w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows([[f"{v:%d/%m/%Y}" if isinstance(v, dt.date) else ("" if v is None else v)
                                       for v in row] for row in rows])
    return folder


@pytest.fixture(scope="module")
def instances(tmp_path_factory):
    made = Instances(tmp_path_factory.mktemp("instances"))
    yield made
    made.drop()


@pytest.fixture(scope="module")
def source(instances, tmp_path_factory):
    """An instance with the reference campaign and the base data, a stored document, its secrets and a waiting
    upload; a backup of it, what the backup printed and the standings it was taken with."""
    env = instances.new(_suite_kind())
    run(env, "load-territory", "--province", "93")
    run(env, "init-campaign", str(REPO / "campaigns" / f"{CAMPAIGN}.toml"))
    run(env, "import", CAMPAIGN, str(_csv_folder(tmp_path_factory.mktemp("base") / "co-so")))
    run(env, "advance-campaign", CAMPAIGN, "running", "--reason", "Phát động")
    data = Path(env["THIDUA_DATA_DIR"])
    (data / "tai-lieu").mkdir(parents=True, exist_ok=True)
    (data / "tai-lieu" / "quyet-dinh.txt").write_text("Quyết định khen thưởng\n", encoding="utf-8")
    (data / "uploads").mkdir(exist_ok=True)
    (data / "uploads" / "dang-cho.xlsx").write_bytes(b"waiting")
    (data / "audit-key").write_text("not-the-key-in-use\n")
    path = tmp_path_factory.mktemp("backups") / "sao-luu.zip"
    done = run(env, "backup", str(path))
    return env, path, done.stdout, standings(env)


def analyzed(env, table: str) -> bool:
    """Return whether the planner's statistics of a table were gathered (ANALYZE) in an instance's database."""
    url = env["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        with contextlib.closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as conn:
            return bool(conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone()) and bool(
                conn.execute("SELECT 1 FROM sqlite_stat1 WHERE tbl = ?", [table]).fetchone())
    import psycopg

    with psycopg.connect(**{**PG_ADMIN, "dbname": url.rsplit("/", 1)[1]}) as conn:
        row = conn.execute("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = %s", [table]).fetchone()
        return row is not None and row[0] is not None


def standings(env) -> bytes:
    return run(env, "score", CAMPAIGN, "--format", "json", *AS_OF).stdout.encode()


def test_a_backup_restores_to_the_same_standings_and_a_history_that_verifies(instances, source):
    _, path, _, expected = source
    target = instances.new(_suite_kind())
    done = run(target, "restore", str(path))
    assert "Nhật ký toàn vẹn và xác thực bằng khóa" in done.stdout
    assert standings(target) == expected
    restored = Path(target["THIDUA_DATA_DIR"])
    assert (restored / "tai-lieu" / "quyet-dinh.txt").read_text(encoding="utf-8") == "Quyết định khen thưởng\n"
    assert not (restored / "uploads" / "dang-cho.xlsx").exists()
    # The new instance's journal of heads starts from the restored head, and goes on with every act.
    anchor = done.stdout.split("mốc nhật ký ")[1].split(")")[0]
    journal = restored / "anchors.log"
    assert f"Tệp mốc {journal} bắt đầu lại từ mốc của bản sao lưu" in done.stdout
    assert journal.read_text().startswith(f"{anchor}:")
    # The planner's statistics were read afresh (and on PostgreSQL the day totals rewritten compactly).
    assert "Đã cập nhật thống kê của cơ sở dữ liệu" in done.stdout
    assert analyzed(target, "intake_intakerecord")
    # The new instance goes on: a new act after the restore (PostgreSQL's sequences were moved past the rows).
    run(target, "advance-campaign", CAMPAIGN, "closed", "--reason", "Kết thúc")
    assert "Tệp mốc" in run(target, "audit", "verify").stdout and journal.read_text().count("\n") == 2


def test_the_backup_holds_no_secret_and_no_waiting_upload(source):
    _, path, printed, _ = source
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
    assert "files/tai-lieu/quyet-dinh.txt" in names
    assert not [n for n in names if "secret-key" in n or "audit-key" in n or "uploads" in n or "anchors.log" in n]
    assert (Path(source[0]["THIDUA_DATA_DIR"]) / "anchors.log").exists()  # the source's journal stays on its server
    assert "auth.permission" not in {t["model"] for t in manifest["tables"]}
    assert manifest["anchor"] in printed


def test_a_restore_without_the_key_is_refused_unless_asked(instances, source):
    _, path, _, _ = source
    target = instances.new(_suite_kind())
    target.pop("THIDUA_AUDIT_KEY")
    refused = run(target, "restore", str(path), check=False)
    assert refused.returncode != 0 and "không có khóa nhật ký" in refused.stderr and "--without-key" in refused.stderr
    done = run(target, "restore", str(path), "--without-key")
    assert "không có khóa: chưa xác thực được" in done.stdout


def test_a_backup_taken_while_another_process_writes_restores_to_a_state_that_verifies(instances, source, tmp_path):
    env, *_ = source
    stop = tmp_path / "stop"
    writer = subprocess.Popen([sys.executable, "-m", "thidua", "shell", "-c", WRITER], env={**env, "STOP_FILE": str(
        stop)}, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline(), writer.stderr.read()  # its first day is committed
        backup = tmp_path / "trong-luc-ghi.zip"
        done = run(env, "backup", str(backup))
        anchor = int(done.stdout.split("Mốc nhật ký của bản sao lưu: ")[1].split(":")[0])
        assert writer.poll() is None, "the writer stopped before the backup ended: it did not write alongside it"
    finally:
        stop.touch()
        _, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    target = instances.new(_suite_kind())
    restored = run(target, "restore", str(backup))
    assert "mọi số liệu khớp với nhật ký" in restored.stdout
    written_after = run(env, "audit", "anchor").stdout.split(":")[0]
    assert int(written_after) > anchor  # the writer went on after the snapshot; the backup holds a whole prefix


SNAPSHOT = """
from django.db import connections
from thidua.audit.models import ChangeSet
from thidua.backup.services import _snapshot
other = connections.create_connection("default")  # another session, committing as it goes
with _snapshot():
    before = ChangeSet.objects.count()
    with other.cursor() as cursor:
        cursor.execute("INSERT INTO audit_changeset (actor, at, source, reason, file_name, file_sha256, summary, "
                       "prev_hash, hash, mac) VALUES ('khac', '2021-03-01', 'cli', '', '', '', '{}', '', '', '')")
    print(before, ChangeSet.objects.using("default").count(), ChangeSet.objects.count())
print(ChangeSet.objects.count())
"""


def test_the_backup_reads_one_snapshot_while_another_session_commits(instances):
    env = instances.new(_suite_kind())
    assert run(env, "shell", "-c", SNAPSHOT).stdout.splitlines()[-2:] == ["0 0 0", "1"]


@pytest.mark.skipif(not _pg_available(), reason="PostgreSQL is not reachable from this run")
def test_a_backup_moves_between_sqlite_and_postgresql_and_back(instances, source, tmp_path):
    _, path, _, expected = source
    other = "sqlite" if _suite_kind() == "postgresql" else "postgresql"
    there = instances.new(other)
    run(there, "restore", str(path))
    assert standings(there) == expected
    back_file = tmp_path / "ve.zip"
    run(there, "backup", str(back_file))
    back = instances.new(_suite_kind())
    run(back, "restore", str(back_file))
    assert standings(back) == expected


# --- refusals, nothing written (in this test's own database, which holds the base data) -------------------------

def _rewrite(source_path: Path, target: Path, change, *, resign: bool = True) -> Path:
    """Copy a backup, changing its members through `change(name, bytes) -> bytes`; the manifest's digests follow
    when the member changed (as a forger would), and its MAC is recomputed when `resign` (with the key)."""
    from thidua.audit.keys import audit_key
    from thidua.backup.services import _manifest_mac

    with zipfile.ZipFile(source_path) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    manifest = json.loads(members["manifest.json"])
    for entry in [*manifest["tables"], *manifest["files"]]:
        new = change(entry["member"], members[entry["member"]])
        if new != members[entry["member"]]:
            members[entry["member"]] = new
            entry["sha256"], entry["bytes"] = hashlib.sha256(new).hexdigest(), len(new)
    manifest = change("manifest.json", manifest) or manifest
    members["manifest.json"] = json.dumps(manifest).encode()
    if resign:
        members["manifest.hmac"] = _manifest_mac(audit_key(), members["manifest.json"]).encode()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return target


def refused(path, *options) -> str:
    with pytest.raises(CommandError) as caught:
        call_command("restore", str(path), *options)
    return str(caught.value)


@pytest.fixture
def untouched(snapshot):
    before = snapshot()
    yield
    assert snapshot() == before


def test_a_non_empty_database_is_refused(db, campaign, source, untouched):
    assert "cơ sở dữ liệu đích không trống" in refused(source[1])


def test_a_file_that_is_not_a_backup_is_refused(db, campaign, tmp_path, untouched):
    (tmp_path / "a.zip").write_bytes(b"PK\x03\x04 not really")
    assert "không mở được như một bản sao lưu" in refused(tmp_path / "a.zip")
    with zipfile.ZipFile(tmp_path / "b.zip", "w") as archive:
        archive.writestr("other.txt", "x")
    assert "không phải bản sao lưu của thidua" in refused(tmp_path / "b.zip")


def test_a_damaged_file_is_refused(db, campaign, source, tmp_path, untouched):
    damaged = tmp_path / "hong.zip"
    data = bytearray(source[1].read_bytes())
    with zipfile.ZipFile(source[1]) as archive:
        info = archive.getinfo(next(n for n in archive.namelist() if "intakerecord" in n))
    name_and_extra = int.from_bytes(data[info.header_offset + 26:info.header_offset + 28], "little") + \
        int.from_bytes(data[info.header_offset + 28:info.header_offset + 30], "little")
    at = info.header_offset + 30 + name_and_extra + info.compress_size // 2  # inside the compressed rows
    data[at] ^= 0xFF
    damaged.write_bytes(bytes(data))
    assert "bị hỏng" in refused(damaged)


def test_a_row_changed_by_a_forger_without_the_key_is_refused(db, campaign, source, tmp_path, untouched):
    def more_applications(name, data):
        if name.endswith("intake.intakerecord.jsonl"):
            return data.replace(b",85,", b",850,", 1)
        return None if name == "manifest.json" else data

    forged = _rewrite(source[1], tmp_path / "gia.zip", more_applications, resign=False)
    assert "mã xác thực của bản sao lưu không khớp" in refused(forged)


def test_a_member_whose_digest_does_not_match_is_refused(db, campaign, source, tmp_path, untouched):
    def stale_digest(name, value):
        if name == "manifest.json":
            value["tables"][-1]["sha256"] = "0" * 64
            return value
        return value

    assert "không khớp mã SHA-256" in refused(_rewrite(source[1], tmp_path / "x.zip", stale_digest))


def test_a_backup_of_another_migration_state_is_refused(db, campaign, source, tmp_path, untouched):
    def older(name, value):
        if name == "manifest.json":
            value["migrations"] = [m for m in value["migrations"] if m != "audit.0004_changeset_mac"]
            return value
        return value

    message = refused(_rewrite(source[1], tmp_path / "cu.zip", older))
    assert "không cùng trạng thái cơ sở dữ liệu (migration)" in message and "audit.0004_changeset_mac" in message


def test_a_file_outside_the_data_folder_is_refused(db, campaign, source, tmp_path, untouched):
    def escape(name, value):
        if name == "manifest.json":
            value["files"][0]["path"] = "../../ngoai.txt"
        return value

    assert "nằm ngoài thư mục dữ liệu" in refused(_rewrite(source[1], tmp_path / "ra.zip", escape))


def test_a_row_forged_in_a_backup_is_caught_by_the_history_even_without_the_key(instances, source, tmp_path):
    def more_applications(name, data):
        if name.endswith("intake.intakerecord.jsonl"):
            return data.replace(b",85,", b",850,", 1)
        return None if name == "manifest.json" else data

    forged = _rewrite(source[1], tmp_path / "gia.zip", more_applications, resign=False)
    target = instances.new(_suite_kind())
    target.pop("THIDUA_AUDIT_KEY")
    done = run(target, "restore", str(forged), "--without-key", check=False)
    assert done.returncode != 0 and "số liệu không khớp nhật ký" in done.stderr and "dấu vân tay" in done.stderr
