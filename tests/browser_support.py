"""What the browser journeys need outside the browser: a database of their own, prepared by the real `thidua`
commands in subprocesses, and a server on a free port in front of it.

Like tests/test_import_processes.py, nothing here touches the suite's own test database: the journeys get a
SQLite file in a temporary folder, or a PostgreSQL database created for them (and dropped afterwards) when the
suite runs on PostgreSQL. pytest-django's live_server is not used: its transactional tests flush the tables and
would wipe the session-wide base data that the other tests rely on.
"""

import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

CHROMIUM = os.environ.get("THIDUA_CHROMIUM") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SEED = 2021
# The demo's simulated today: its data stops there, small and fast to build; the journeys work on the team's later
# days, which are still empty.
UNTIL = dt.date(2021, 3, 1)
PASSWORD = "ThiDua@2021"

# Printed by `thidua shell` as JSON: what the journeys need to know about the demo data of the seed above, read
# from the database rather than written down, so that a change of the synthetic data moves the journeys with it.
FACTS = f"""
import datetime as dt
import json
from django.contrib.auth import get_user_model
from thidua.intake.models import Assignment, DailyReport, IntakeRecord
from thidua.units.models import Kind, Unit

team = get_user_model().objects.get(username="to").profile.unit
district = get_user_model().objects.get(username="huyen").profile.unit
campaign = team.campaign
held = set()
for start, end in Assignment.objects.filter(team=team).values_list("start", "end"):
    held |= {{start.fromordinal(n) for n in range(start.toordinal(), end.toordinal() + 1)}}
busy = set(IntakeRecord.objects.filter(team=team).values_list("day", flat=True))
busy |= set(DailyReport.objects.filter(team=team).values_list("day", flat=True))
days = sorted(d.isoformat() for d in held - busy if d > dt.date.fromisoformat("{UNTIL.isoformat()}"))
other = Unit.objects.filter(campaign=campaign, kind=Kind.TO).exclude(pk=team.pk)
other = min(other, key=lambda u: (u.parent_id != team.parent_id, u.code))  # a sibling team if there is one
print(json.dumps({{"campaign": campaign.code, "campaign_name": campaign.name, "team": team.code,
                  "clerk_name": get_user_model().objects.get(username="to").get_full_name(),
                  "team_name": team.name, "district": district.code, "district_name": district.name,
                  "team_district": team.parent.code, "other_team": other.code, "days": days}}))
"""


@dataclass(frozen=True)
class Site:
    """The served demo: its address and what the journeys need to know about its data."""

    base: str
    campaign: str
    campaign_name: str
    team: str
    team_name: str
    clerk_name: str
    district: str
    district_name: str
    team_district: str
    other_team: str
    days: tuple[str, ...]

    def url(self, path: str) -> str:
        return self.base + path

    def day_url(self, day: str, team: str | None = None) -> str:
        return self.url(f"/dot/{self.campaign}/bao-cao/{team or self.team}/{day}/")


def require_chromium() -> None:
    """Fail (not skip) with how to install it: `make test` must not pass without having run the journeys."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"The browser tests need Debian's chromium at {CHROMIUM}, which is missing. Install it with "
                    "`sudo apt-get install -y chromium` (`.ci/run` does so in CI), or point THIDUA_CHROMIUM at "
                    "another Chromium. Do not run `playwright install`: it downloads a browser, which is not "
                    "possible here.", pytrace=False)


def run(env: dict, cwd: Path, *args: str) -> str:
    """Run a `thidua` command on the journeys' database; return what it printed."""
    return _run(env, cwd, *args)


def _run(env: dict, cwd: Path, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "thidua", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, f"thidua {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


class Database:
    """A database of the journeys' own: the suite's engine, never the suite's test database."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        self.env["PYTHONUNBUFFERED"] = "1"
        db = settings.DATABASES["default"]
        self.postgres = db["ENGINE"].endswith("postgresql")
        if self.postgres:
            self.name = f"thidua_browser_{os.getpid()}"
            self.admin = dict(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"],
                              dbname="postgres", autocommit=True)
            self.env["DATABASE_URL"] = f"postgres://{db['USER']}@{self.admin['host']}:{self.admin['port']}/{self.name}"
        else:
            self.env["DATABASE_URL"] = f"sqlite:///{folder / 'parcours.sqlite3'}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(**self.admin) as conn:
            conn.execute(sql)

    def prepare(self, until: dt.date = UNTIL) -> dict:
        """Build the demo data with the real commands, lived to `until`; return the facts the journeys need."""
        if self.postgres:
            # `thidua demo` keeps to its own SQLite file; on PostgreSQL the same setup runs after a migrate.
            self._admin(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
            self._admin(f"CREATE DATABASE {self.name}")
            _run(self.env, self.folder, "migrate", "-v0")
            _run(self.env, self.folder, "shell", "-c",
                 "import datetime as dt; from thidua.demo.services import demo_setup; "
                 f"demo_setup(seed={SEED}, today=dt.date.fromisoformat('{until.isoformat()}'))")
            _run(self.env, self.folder, "simulated-today", until.isoformat())
        else:
            _run(self.env, self.folder, "demo", "--no-serve", "--seed", str(SEED), "--today", until.isoformat())
        return json.loads(_run(self.env, self.folder, "shell", "-c", FACTS).strip().splitlines()[-1])

    def drop(self) -> None:
        if self.postgres:
            self._admin(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`thidua runserver` on a free port (no reloader; static files served as the demo serves them)."""

    def __init__(self, env: dict, folder: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = folder / "runserver.log"
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "thidua", "runserver", f"127.0.0.1:{self.port}", "--noreload", "--insecure"],
                env=env, cwd=folder, stdout=log, stderr=subprocess.STDOUT)

    def wait_until_answering(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"the server stopped (code {self.proc.returncode}):\n{self.log.read_text()}")
            try:
                with urllib.request.urlopen(self.base + "/dang-nhap/", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)  # polling for start-up, not waiting for the pages
        pytest.fail(f"the server did not answer within {seconds} s:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

