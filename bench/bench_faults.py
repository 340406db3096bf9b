"""Benchmark of a fault: PostgreSQL stopped and started again while the site serves pages and takes writes.

    .venv/bin/python bench/bench_faults.py [--before 3] [--outage 5] [--after 6] [--workers 2]
                                           [--conn-max-age 0] [--mode fast] [--keep]

Runs as root (or as the user postgres) on a machine with PostgreSQL's server programs (/usr/lib/postgresql/*/bin):
it never touches the machine's own PostgreSQL, but starts a throw-away cluster of its own.

What it does:
1. A throw-away PostgreSQL cluster: `initdb` in a folder under /tmp owned by the user postgres, `pg_ctl start` on a
   free loopback port (trust authentication, loopback only). A database `thidua_faults_bench` in it, migrated, with
   the territory of Hậu Giang, the reference campaign, one district and one team with three machines, a user of
   the team with a session (the pages) and an API token (the API). Not measured.
2. The site: gunicorn (`thidua.wsgi`, WORKERS sync workers, as deployed: DEBUG off) on another free port, with
   DB_CONN_MAX_AGE as given (0: a connection per request; above 0, persistent connections, checked before reuse
   when the settings have CONN_HEALTH_CHECKS).
3. Traffic, four clients at once, each sending its next request as soon as it has the answer: the team's home
   page, the API's list of intake, API writes (POST /api/v1/campaigns/…/intake, one new row each, with an
   Idempotency-Key) and page writes (the day report's form, one new day each). BEFORE seconds of normal
   traffic; then `pg_ctl stop` (MODE fast: sessions ended, transactions rolled back; immediate: a crash, with
   recovery at the next start) and OUTAGE seconds without a database; then `pg_ctl start` and AFTER seconds.
4. The checks, each printed PASS or FAIL:
   - no answer other than 200, 302 or a clean 503 in any phase, never a 500;
   - during the outage every answer a 503 in Vietnamese: the page's text, or the API's error shape with its code;
   - after the start, each kind of request answered normally again by the same server processes (not
     restarted), and the time it took (from `pg_ctl start` returning, the database ready);
   - the database holds exactly the writes that were acknowledged (200 or 302), none of those answered 503;
   - `thidua audit verify` clean (the history's chain, and the team-day totals equal to the records).
   The exit code is 1 when a check fails (tests/test_fault_processes.py runs this script).
"""

import argparse
import contextlib
import csv
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from _common import ACTOR, CAMPAIGN_FILE, ROOT, child_env, print_table

CODE = "hau-giang-2021"
DATABASE = "thidua_faults_bench"
MACHINES = ["M000", "M001", "M002"]
COMMUNES = ["31318", "31321", "31324", "31327", "31330", "31333", "31336", "31338", "31339"]  # Vị Thanh's
FIRST_DAY = "2021-03-01"
DAYS = 120
PAGE_503 = "Cơ sở dữ liệu tạm thời không trả lời"
API_503 = "co_so_du_lieu_khong_tra_loi"
AUDIT_KEY = "khoa-nhat-ky-cua-bo-do-su-co"
REQUEST_TIMEOUT = 15


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the throw-away cluster -----------------------------------------------------------------------------------

def _postgres_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    if not found:
        raise SystemExit("PostgreSQL's server programs are not installed (/usr/lib/postgresql/*/bin/pg_ctl).")
    return found[-1].parent


class Cluster:
    """A PostgreSQL cluster of its own under /tmp, run by the user postgres, on a free port of the loopback."""

    def __init__(self):
        self.bin = _postgres_bin()
        self.folder = Path(tempfile.mkdtemp(prefix="thidua-faults-pg-"))
        self.data, self.port = self.folder / "data", free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/{DATABASE}"
        shutil.chown(self.folder, "postgres", "postgres")
        self._as_postgres("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync",
                          "-E", "UTF8", "--locale=C.UTF-8")

    def _as_postgres(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=self.folder)
        if done.returncode != 0:
            raise RuntimeError(f"{program} failed: {done.stdout}{done.stderr}")

    def start(self) -> float:
        """Start the cluster and wait until it takes connections; return the seconds it took."""
        started = time.monotonic()
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        self._as_postgres("pg_ctl", "start", "-w", "-D", str(self.data), "-l", str(self.folder / "server.log"),
                          "-o", options)
        return time.monotonic() - started

    def stop(self, mode: str) -> float:
        started = time.monotonic()
        self._as_postgres("pg_ctl", "stop", "-w", "-D", str(self.data), "-m", mode)
        return time.monotonic() - started

    def remove(self) -> None:
        with contextlib.suppress(RuntimeError):
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


# --- the site -------------------------------------------------------------------------------------------------

def _site_env(cluster: Cluster, workdir: Path, conn_max_age: int) -> dict:
    return child_env(DATABASE_URL=cluster.url, DB_CONN_MAX_AGE=str(conn_max_age), THIDUA_DATA_DIR=str(workdir),
                     THIDUA_AUDIT_KEY=AUDIT_KEY, DEBUG="0", DJANGO_SETTINGS_MODULE="thidua.settings")


def _write_units(folder: Path) -> Path:
    folder.mkdir()
    with open(folder / "don_vi.csv", "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["ma_don_vi", "ten_don_vi", "loai", "ma_don_vi_cap_tren", "dia_ban", "nhom_thi_dua"],
                                  ["CAH-VTH", "Công an thành phố Vị Thanh", "cong_an_huyen", "", "930", "cap_huyen"],
                                  ["TO-VTH", "Tổ lưu động Vị Thanh", "to", "CAH-VTH", "", ""]])
    with open(folder / "may.csv", "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["ma_may", "ma_to", "chi_tieu_ngay"], *[[m, "TO-VTH", 500] for m in MACHINES]])
    return folder


SETUP = """
import django, json, sys
django.setup()
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from thidua.accounts.models import Role
from thidua.accounts.services import user_create
from thidua.api.services import token_create
from thidua.campaigns.config import load_config
from thidua.campaigns.services import campaign_init
from thidua.territory.services import territory_load
from thidua.units.models import Unit

code, campaign_file, units, actor = sys.argv[1:5]
call_command("migrate", verbosity=0)
territory_load(province="93", actor=actor)
campaign, _ = campaign_init(config=load_config(campaign_file), actor=actor, reason="benchmark")
call_command("import", code, units, verbosity=0)
user = user_create(username="to-vth", password="Mat-khau-2021", role=Role.TEAM, actor=actor,
                   unit=Unit.objects.get(campaign=campaign, code="TO-VTH"))
session = SessionStore()
session.update({SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: settings.AUTHENTICATION_BACKENDS[0],
                HASH_SESSION_KEY: user.get_session_auth_hash()})
session.save()
print(json.dumps({"token": token_create(user=user, name="bench", actor=actor)[1], "session": session.session_key}))
"""


def _setup(env: dict, workdir: Path) -> dict:
    """Create the database and fill it; return the session key and the API token of the team's user."""
    import psycopg

    admin = env["DATABASE_URL"].rsplit("/", 1)[0].replace("postgres://", "postgresql://") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {DATABASE}")
    done = subprocess.run([sys.executable, "-c", SETUP, CODE, str(CAMPAIGN_FILE), str(_write_units(workdir / "units")),
                           ACTOR], env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"setup failed:\n{done.stdout}{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


class Server:
    """gunicorn serving the site; its log kept in a file."""

    def __init__(self, env: dict, workdir: Path, workers: int):
        self.port, self.log = free_port(), workdir / "gunicorn.log"
        gunicorn = Path(sys.executable).with_name("gunicorn")
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [str(gunicorn), "thidua.wsgi", "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
                 "--timeout", "60", "--graceful-timeout", "5"], env=env, cwd=ROOT, stdout=log, stderr=log)
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError, http.client.HTTPException):
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/dang-nhap/")
                if conn.getresponse().status < 500:
                    break
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise SystemExit(f"gunicorn did not start:\n{self.log.read_text()}")
            time.sleep(0.2)
        self.workers = self.worker_pids()

    def worker_pids(self) -> set[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return set(map(int, children.read_text().split())) if children.exists() else set()

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# --- traffic --------------------------------------------------------------------------------------------------

@dataclass
class Answer:
    kind: str
    sent: float  # seconds since the start of the traffic
    seconds: float
    status: int  # 0: no answer at all
    clean: bool  # a 200/302, or a 503 saying so in Vietnamese (the page) or in the API's shape
    key: tuple | None = None  # what a write wrote
    replayed: bool = False  # the API answered a key it had already written (Idempotent-Replayed)


@dataclass
class Traffic:
    port: int
    session: str
    token: str
    csrf: str = field(default_factory=lambda: secrets.token_hex(16))
    answers: list = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    started: float = field(default_factory=time.monotonic)
    first_unclean: str = ""

    def _send(self, kind: str, method: str, path: str, body: bytes | None = None, headers=None, key=None) -> int:
        """Send one request; note its answer; return its status (0: none)."""
        sent = time.monotonic()
        status, text, replayed = 0, "", False
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            status, text = response.status, response.read().decode("utf-8", "replace")
            replayed = response.getheader("Idempotent-Replayed") == "true"
            conn.close()
        except (OSError, http.client.HTTPException):
            pass
        clean = status in (200, 302) or (status == 503 and self._says_database(path, text))
        if not clean and not self.first_unclean:
            self.first_unclean = f"{kind} {status}: {text[:3000]}"
        self.answers.append(Answer(kind, sent - self.started, time.monotonic() - sent, status, clean, key, replayed))
        return status

    @staticmethod
    def _says_database(path: str, text: str) -> bool:
        if path.startswith("/api/"):
            with contextlib.suppress(ValueError, KeyError, TypeError):
                return json.loads(text)["loi"]["ma"] == API_503
            return False
        return PAGE_503 in text and "Traceback" not in text

    def _page_headers(self) -> dict:
        return {"Cookie": f"sessionid={self.session}; csrftoken={self.csrf}"}

    def _api_headers(self, key: str = "") -> dict:
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        return {**headers, "Idempotency-Key": key} if key else headers

    def page_reads(self):
        while not self.stop.is_set():
            self._send("page read", "GET", "/", headers=self._page_headers())

    def api_reads(self):
        while not self.stop.is_set():
            self._send("API read", "GET", f"/api/v1/campaigns/{CODE}/intake?page_size=20", headers=self._api_headers())

    @staticmethod
    def _cell(n: int, first_day: int) -> tuple[str, str, str]:
        """Return the n-th (day, machine, commune) of the team's cells, walking the days from `first_day`."""
        import datetime as dt

        day = dt.date.fromisoformat(FIRST_DAY) + dt.timedelta(days=first_day + n // 27 % (DAYS // 2))
        return day.isoformat(), MACHINES[n // 9 % 3], COMMUNES[n % 9]

    def api_writes(self):
        """Write one new row per request (the first half of the campaign's days), as a client does: a write that
        got no answer or a 503 is sent again, with its Idempotency-Key, until it is acknowledged."""
        n = 0
        while not self.stop.is_set():
            day, machine, commune = self._cell(n, 0)
            row = {"ngay": day, "ma_may": machine, "ma_xa": commune, "so_ho_so": 1 + n % 50}
            status = self._send("API write", "POST", f"/api/v1/campaigns/{CODE}/intake",
                                json.dumps({"rows": [row]}).encode(), self._api_headers(f"bench-{n}"),
                                key=(day, machine, commune, row["so_ho_so"]))
            n += status == 200

    def page_writes(self):
        """Save one cell per request through the day report's form, a day after the other in the second half of the
        campaign (a day's other cells would have to be sent again, as the form does), sent again until it is
        acknowledged (the redirect after saving); past the last day, the first ones are saved again."""
        import datetime as dt
        from urllib.parse import urlencode

        n = 0
        while not self.stop.is_set():
            day = (dt.date.fromisoformat(FIRST_DAY) + dt.timedelta(days=DAYS // 2 + n % (DAYS // 2))).isoformat()
            form = urlencode({f"n-{MACHINES[2]}-{COMMUNES[8]}": str(100 + n), "action": "save",
                              "csrfmiddlewaretoken": self.csrf}).encode()
            headers = {**self._page_headers(), "Content-Type": "application/x-www-form-urlencoded"}
            status = self._send("page write", "POST", f"/dot/{CODE}/bao-cao/TO-VTH/{day}/", form, headers,
                                key=(day, MACHINES[2], COMMUNES[8], 100 + n))
            n += status == 302

    def run(self) -> list[threading.Thread]:
        threads = [threading.Thread(target=f, daemon=True)
                   for f in (self.page_reads, self.api_reads, self.api_writes, self.page_writes)]
        for thread in threads:
            thread.start()
        return threads


# --- the run --------------------------------------------------------------------------------------------------

def _stored(url: str) -> dict[tuple, int]:
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://")) as conn:
        rows = conn.execute("SELECT r.day, m.code, a.code, r.applications FROM intake_intakerecord r "
                            "JOIN intake_machine m ON m.id = r.machine_id "
                            "JOIN territory_adminunit a ON a.id = r.commune_id").fetchall()
    return {(day.isoformat(), machine, commune): n for day, machine, commune, n in rows}


def _totals_match(url: str) -> bool:
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://")) as conn:
        return conn.execute(
            "SELECT COUNT(*) FROM (SELECT t.day, t.applications, t.records FROM intake_teamdaytotal t "
            "EXCEPT SELECT r.day, SUM(r.applications), COUNT(*) FROM intake_intakerecord r GROUP BY r.day) d"
        ).fetchone()[0] == 0


PHASES = ("before", "stopping", "outage", "starting", "after")


def _phase(answer: Answer, marks: dict) -> str:
    """Return the phase a request was sent in: before the stop, while pg_ctl stops the cluster (sessions still
    ending), the outage, while it starts, after it is ready."""
    for phase, mark in zip(PHASES, ("stop", "stopped", "start", "started"), strict=False):
        if answer.sent < marks[mark]:
            return phase
    return "after"


def run(args) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="thidua-faults-"))
    cluster = server = None
    checks: list[tuple[str, str, bool]] = []
    try:
        cluster = Cluster()
        print(f"Throw-away PostgreSQL: {cluster.bin.parent.name}, port {cluster.port}, {cluster.folder}")
        cluster.start()
        env = _site_env(cluster, workdir, args.conn_max_age)
        who = _setup(env, workdir)
        server = Server(env, workdir, args.workers)
        print(f"gunicorn: port {server.port}, {args.workers} workers, DB_CONN_MAX_AGE={args.conn_max_age}")
        traffic = Traffic(server.port, who["session"], who["token"])
        threads = traffic.run()
        time.sleep(args.before)
        marks = {"stop": time.monotonic() - traffic.started}
        stop_seconds = cluster.stop(args.mode)
        marks["stopped"] = time.monotonic() - traffic.started
        time.sleep(args.outage)
        marks["start"] = time.monotonic() - traffic.started
        start_seconds = cluster.start()
        marks["started"] = time.monotonic() - traffic.started
        time.sleep(args.after)
        traffic.stop.set()
        for thread in threads:
            thread.join(REQUEST_TIMEOUT + 5)
        print(f"pg_ctl stop -m {args.mode}: {stop_seconds:.2f} s at {marks['stop']:.1f} s; outage {args.outage} s; "
              f"pg_ctl start: {start_seconds:.2f} s, ready at {marks['started']:.1f} s\n")
        answers = list(traffic.answers)
        kinds = ["page read", "API read", "API write", "page write"]
        table = [["kind", "phase", "answers", "200/302", "503 clean", "other", "median ms", "max ms"]]
        for kind in kinds:
            for phase in PHASES:
                got = [a for a in answers if a.kind == kind and _phase(a, marks) == phase]
                if not got:
                    continue
                times = sorted(a.seconds * 1000 for a in got) or [0]
                table.append([kind, phase, str(len(got)), str(sum(a.status in (200, 302) for a in got)),
                              str(sum(a.status == 503 and a.clean for a in got)), str(sum(not a.clean for a in got)),
                              f"{times[len(times) // 2]:.0f}", f"{times[-1]:.0f}"])
        print_table(table)
        unclean = [a for a in answers if not a.clean]
        if unclean:
            print(f"\nThe first other answer: {traffic.first_unclean}")
        statuses = sorted({a.status for a in unclean})
        checks.append(("every answer a 200/302 or a clean 503 (no 500)", f"{len(unclean)} other {statuses}",
                       not unclean))
        outage = [a for a in answers if _phase(a, marks) == "outage"]
        checks.append(("during the outage: 503s in Vietnamese", f"{sum(a.status == 503 for a in outage)} of "
                       f"{len(outage)}", bool(outage) and all(a.status == 503 and a.clean for a in outage)))
        recovered = []
        for kind in kinds:
            after = sorted((a for a in answers if a.kind == kind and a.sent >= marks["start"]), key=lambda a: a.sent)
            first = next((a for a in after if a.status in (200, 302)), None)
            late = sum(a.status == 503 for a in after if a.sent >= marks["started"])
            recovered.append(first is not None)
            shown = f"{first.sent + first.seconds - marks['started']:.2f} s" if first else "never"
            print(f"  {kind}: first normal answer {shown} after PostgreSQL was ready; {late} 503s sent after that")
        alive = server.process.poll() is None and server.worker_pids() == server.workers
        checks.append(("after the start: every kind answered normally again", f"{sum(recovered)} of {len(kinds)}",
                       all(recovered)))
        checks.append(("the same server processes throughout (no restart)", "yes" if alive else "no", alive))
        # What each cell should hold: the last value acknowledged for it (a page write may save a day again).
        acknowledged = {a.key[:3]: a.key[3] for a in sorted(answers, key=lambda a: a.sent)
                        if a.key and a.status in (200, 302)}
        refused = {a.key for a in answers if a.key and a.status not in (200, 302)}
        refused -= {(*cell, value) for cell, value in acknowledged.items()}
        stored = _stored(cluster.url)
        for cell in sorted(set(stored) | set(acknowledged)):
            if stored.get(cell) != acknowledged.get(cell):
                print(f"  {cell}: stored {stored.get(cell)}, acknowledged {acknowledged.get(cell)}")
        checks.append(("the database holds exactly the acknowledged writes",
                       f"{len(stored)} cells, {len(acknowledged)} acknowledged, {len(refused)} never (the last, "
                       f"cut by the end), {sum(stored.get(k[:3]) == k[3] for k in refused)} of them stored",
                       stored == acknowledged))
        # An API write is sent again only after a refusal: a replayed answer means the refused one had been written.
        replays = sum(a.replayed for a in answers)
        checks.append(("no write answered 503 had been written (no replay)", f"{replays} replayed", replays == 0))
        verified = subprocess.run([sys.executable, "-m", "thidua", "audit", "verify"], env=env, cwd=ROOT,
                                  capture_output=True, text=True, check=False)
        checks.append(("`thidua audit verify` clean", f"exit {verified.returncode}", verified.returncode == 0))
        if verified.returncode:
            print(verified.stdout + verified.stderr)
        checks.append(("team-day totals equal to the records", "", _totals_match(cluster.url)))
        tracebacks = server.log.read_text(errors="replace").count("Traceback")
        print(f"\nServer log: {tracebacks} tracebacks logged (Django logs each 5xx; none reached a client).")
    finally:
        if server is not None:
            server.stop()
        if cluster is not None and not args.keep:
            cluster.remove()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"Kept {workdir} and {cluster.folder if cluster else ''}")
    print("\nChecks:")
    for goal, got, ok in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {goal:<55} {got}")
    return 0 if checks and all(ok for _, _, ok in checks) else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", type=float, default=3, help="seconds of traffic before the stop")
    parser.add_argument("--outage", type=float, default=5, help="seconds without PostgreSQL")
    parser.add_argument("--after", type=float, default=6, help="seconds of traffic after the start")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn's workers")
    parser.add_argument("--conn-max-age", type=int, default=0, help="DB_CONN_MAX_AGE of the site")
    parser.add_argument("--mode", choices=["fast", "immediate"], default="fast", help="pg_ctl stop's mode")
    parser.add_argument("--keep", action="store_true", help="keep the cluster's and the site's folders")
    sys.exit(run(parser.parse_args()))


if __name__ == "__main__":
    main()
