"""Benchmark of a national end of day: every team submits its day while leaders watch the standings (issue 12).

    .venv/bin/python bench/bench_burst.py [--window 300] [--leaders 20] [--web-share 0.1] [--workers 4] [--keep]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/thidua_bench_burst .venv/bin/python bench/bench_burst.py

Needs the `bench` extra (locust), as bench/bench_web.py.

What it does:
1. A fresh database (bench/_common.py: a SQLite file in a temporary folder unless DATABASE_URL names one whose name
   contains "bench"), `migrate`, the territory of Hậu Giang and one campaign of the national shape: 700 competitors
   (cong_an_huyen, group cap_huyen), 1,400 teams (2 each), 10,000 machines (one assignment each, for the whole
   period; 3 in 4 with a daily target, 1 in 4 with a total quota), each machine working in one commune of its team's
   area, and its intake for every day before the burst's day: 1.0 million rows (110 days, the burst on day 101).
   Plus a probe team (TO-THAM-DO, under the first competitor) with one machine and no intake yet. One user and one
   API token per team, PC06 and district users for the leaders; their sessions are opened beforehand (clerks and
   leaders log in in the morning, not during the evening's burst). Written directly (not measured), then ANALYZE.
2. gunicorn (as deployed: DEBUG off, sync workers, persistent connections), its today the burst's day.
3. LOAD (locust in a child process): within WINDOW seconds, every one of the 1,400 teams submits its day once, at
   evenly spread moments in a random order (the issue's 30 minutes compressed: the same submissions at a higher
   rate): a share WEB_SHARE through the report page (GET the day, POST the form with its version, action «submit»),
   the others through the API (POST /api/v1/campaigns/{code}/intake with an Idempotency-Key; a failure or a timeout
   is sent again with the same key, up to 3 times, as a client would). Meanwhile LEADERS leaders (PC06 and
   districts) refresh, with a think time of 1–3 s, their home page, the standings, the forecast, the board and the
   dashboards; and
   a probe writes the probe team's day through the API every 5 s and reads the standings page right after, checking
   that it shows the number just written (a standings read right after a single write).
4. Afterwards: for each team the applications and rows stored for the burst's day are compared with what its client
   sent (last accepted submission): exactly once each; the team-day and commune-day totals are compared with the
   records.
5. The report: per kind of request, count, failures, median, p95, p99, max (ms), requests/s; the probe's
   read-after-write times; the machine's CPU split; each gunicorn worker's CPU over the burst and peak memory; on
   PostgreSQL the database's connections at most (sampled every 2 s); from the site's own request log (served as
   deployed: LOG_FORMAT=json, LOG_REQUESTS=true) each page's duration inside the site, and what each worker was
   serving during the probe's slowest read. Figures and goals (issue 12): standings,
   forecast and home pages p95 ≤ 500 ms during the burst; a standings read right after a write ≤ 1 s and showing
   it; no submission lost or counted twice.
The exit code is 0 whatever the figures: a benchmark, not a test.
"""

import argparse
import datetime as dt
import hashlib
import json
import math
import os
import random
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import _common as common

CAMPAIGN_CODE = "toan-quoc-cuoi-ngay"
SEED = 2021
DAYS = 110
DATA_DAYS = 100  # days with intake before the burst; the burst is day DATA_DAYS (the 101st)
# competitors, teams per competitor, machines, days with intake before the burst
SCALES = {"national": (700, 2, 10_000, 100), "small": (35, 2, 500, 30)}
N_COMPETITORS, PER_COMPETITOR, N_MACHINES = SCALES["national"][:3]
DAILY_TARGET = 100
PASSWORD = "Mat-khau-bench-2021"
PROBE_TEAM, PROBE_MACHINE, PROBE_NAME = "TO-THAM-DO", "M-THAM-DO", "Tổ thăm dò (benchmark)"
PROBE_EVERY_S = 5.0
SUBMITTERS = 40  # clients sending the teams' days (each takes the next team when its moment comes)
API_TRIES = 3
GOAL_P95_MS = 500.0
GOAL_READ_AFTER_WRITE_S = 1.0
LEADER_PAGES = {"home": ("/", 2), "standings": (f"/dot/{CAMPAIGN_CODE}/xep-hang/", 3),
                "forecast": (f"/dot/{CAMPAIGN_CODE}/du-bao/", 2), "board": (f"/dot/{CAMPAIGN_CODE}/bang-tin/", 1),
                "dashboards": (f"/dot/{CAMPAIGN_CODE}/bieu-do/", 1)}
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION_FIELD = re.compile(r'name="phien_ban" value="(\d+)"')


def _percentile(ordered: list[float], q: float) -> float:
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


# --- the load, in a child process (locust patches the standard library with gevent on import) ----------------

def _load(host: str, plan_path: str, window: float, leaders: int, out_path: str) -> dict:
    import itertools
    import urllib.parse

    import gevent
    import gevent.event
    from gevent.queue import Empty, Queue
    from locust import FastHttpUser, between, constant, task
    from locust.env import Environment
    from locust.exception import StopUser

    plan = json.loads(Path(plan_path).read_text())
    times: dict[str, list[float]] = {}
    failed: dict[str, int] = {}
    reasons: dict[str, int] = {}
    accepted: dict[str, list] = {}  # team -> rows of its last accepted submission
    probe_reads: list[dict] = []
    queue: Queue = Queue()
    started = time.monotonic() + 5.0  # the burst's moment 0, once every client is up
    for i, team in enumerate(plan["order"]):
        queue.put((started + i * window / len(plan["order"]), team))
    done = gevent.event.Event()
    in_flight = [0]

    def record(name, ms, ok, why=""):
        times.setdefault(name, []).append(ms)
        if not ok:
            failed[name] = failed.get(name, 0) + 1
            reasons[f"{name}: {why}"] = reasons.get(f"{name}: {why}", 0) + 1

    def timed(client, method, url, name, **kwargs):
        t0 = time.perf_counter()
        try:
            resp = getattr(client, method)(url, name=name, allow_redirects=False, **kwargs)
            return resp, (time.perf_counter() - t0) * 1000, None
        except Exception as exc:  # a connection refused or reset: a failure like any other
            return None, (time.perf_counter() - t0) * 1000, str(exc)

    class Submitter(FastHttpUser):
        wait_time = constant(0)

        @task
        def submit_next(self):
            try:
                moment, team = queue.get_nowait()
            except Empty:
                if in_flight[0] == 0:
                    done.set()
                raise StopUser() from None
            in_flight[0] += 1
            try:
                gevent.sleep(max(0.0, moment - time.monotonic()))
                entry = plan["teams"][team]
                if entry["web"]:
                    self._web(team, entry)
                else:
                    self._api(team, entry)
            finally:
                in_flight[0] -= 1
                if queue.empty() and in_flight[0] == 0:
                    done.set()

        def _api(self, team, entry):
            body = json.dumps({"rows": [{"ngay": plan["day"], "ma_may": m, "ma_xa": c, "so_ho_so": n}
                                        for m, c, n in entry["rows"]]})
            headers = {"Authorization": f"Bearer {entry['token']}", "Content-Type": "application/json",
                       "Idempotency-Key": f"{team}/{plan['day']}"}
            for attempt in range(API_TRIES):
                resp, ms, error = timed(self.client, "post", plan["intake_url"], "api submit", data=body,
                                        headers=headers)
                ok = resp is not None and resp.status_code == 200
                record("api submit", ms, ok, error or (f"HTTP {resp.status_code}" if resp is not None else ""))
                if ok:
                    accepted[team] = entry["rows"]
                    if attempt:
                        record("api retried ok", ms, True)
                    return
                if resp is not None and resp.status_code < 500:
                    return  # refused for a reason a retry does not change
                gevent.sleep(1.0 + attempt)

        def _web(self, team, entry):
            cookie = f"sessionid={entry['session']}"
            url = f"/dot/{CAMPAIGN_CODE}/bao-cao/{team}/{plan['day']}/"
            resp, ms, error = timed(self.client, "get", url, "web day page", headers={"Cookie": cookie})
            ok = resp is not None and resp.status_code == 200
            record("web day page", ms, ok, error or (f"HTTP {resp.status_code}" if resp is not None else ""))
            if not ok:
                return
            page = resp.text or ""
            csrf, version = CSRF_FIELD.search(page), VERSION_FIELD.search(page)
            csrf_cookie = resp.headers.get("Set-Cookie", "")
            token = re.search(r"csrftoken=([^;]+)", csrf_cookie)
            form = {f"n-{m}-{c}": str(n) for m, c, n in entry["rows"]}
            form |= {"csrfmiddlewaretoken": csrf.group(1) if csrf else "", "phien_ban": version.group(1) if version
                     else "0", "action": "submit"}
            cookies = cookie + (f"; csrftoken={token.group(1)}" if token else "")
            resp, ms, error = timed(self.client, "post", url, "web submit", data=urllib.parse.urlencode(form),
                                    headers={"Cookie": cookies, "Referer": host + url,
                                             "Content-Type": "application/x-www-form-urlencoded"})
            ok = resp is not None and resp.status_code == 302
            record("web submit", ms, ok, error or (f"HTTP {resp.status_code}" if resp is not None else ""))
            if ok:
                accepted[team] = entry["rows"]

    leader_sessions = itertools.cycle(plan["leaders"])
    names = [name for name, (_, weight) in LEADER_PAGES.items() for _ in range(weight)]

    class Leader(FastHttpUser):
        wait_time = between(1.0, 3.0)

        def on_start(self):
            self.cookie = f"sessionid={next(leader_sessions)}"

        @task
        def page(self):
            name = random.choice(names)
            resp, ms, error = timed(self.client, "get", LEADER_PAGES[name][0], name, headers={"Cookie": self.cookie})
            ok = resp is not None and resp.status_code == 200
            record(name, ms, ok, error or (f"HTTP {resp.status_code}" if resp is not None else ""))

    probe = plan["probe"]

    class Probe(FastHttpUser):
        wait_time = constant(PROBE_EVERY_S)

        def on_start(self):
            self.n = 0

        @task
        def write_then_read(self):
            self.n += 1
            value = 10 + self.n
            body = json.dumps({"rows": [{"ngay": plan["day"], "ma_may": PROBE_MACHINE, "ma_xa": probe["commune"],
                                         "so_ho_so": value}]})
            resp, ms, error = timed(self.client, "post", plan["intake_url"], "probe write", data=body,
                                    headers={"Authorization": f"Bearer {probe['token']}",
                                             "Content-Type": "application/json"})
            record("probe write", ms, resp is not None and resp.status_code == 200, error or "")
            if resp is None or resp.status_code != 200:
                return
            at = time.time()
            resp, ms, error = timed(self.client, "get", LEADER_PAGES["standings"][0], "probe read",
                                    headers={"Cookie": f"sessionid={probe['session']}"})
            shown = None
            if resp is not None and resp.status_code == 200:
                found = re.search(re.escape(PROBE_NAME) + r'</a></td>\s*<td class="num wide">[^<]*</td>'
                                  r'<td class="num wide">([^<]*)</td>', resp.text or "")
                shown = int(found.group(1).replace(".", "")) if found else None
            record("probe read", ms, shown == value, f"showed {shown}, wrote {value}")
            probe_reads.append({"ms": ms, "shows_write": shown == value, "at": at})

    for user_class in (Submitter, Leader, Probe):
        user_class.host = host
    env = Environment(user_classes=[Submitter, Leader, Probe], host=host)
    runner = env.create_local_runner()
    cpu_before, busy_before = resource.getrusage(resource.RUSAGE_SELF), _machine_busy()
    t0 = time.perf_counter()
    runner.spawn_users({"Submitter": SUBMITTERS, "Leader": leaders, "Probe": 1}, wait=False)
    done.wait(timeout=window + 900)
    seconds = time.perf_counter() - t0
    cpu_after, busy_after = resource.getrusage(resource.RUSAGE_SELF), _machine_busy()
    runner.quit()
    Path(out_path).write_text(json.dumps(accepted))
    kinds = {}
    for name, values in times.items():
        ordered = sorted(values)
        kinds[name] = {"requests": len(ordered), "failures": failed.get(name, 0), "rps": len(ordered) / seconds,
                       "median": statistics.median(ordered), "p95": _percentile(ordered, 95),
                       "p99": _percentile(ordered, 99), "max": ordered[-1]}
    return {"seconds": seconds, "kinds": kinds, "reasons": reasons, "accepted": len(accepted),
            "probe": probe_reads, "client_cpu_s": (cpu_after.ru_utime + cpu_after.ru_stime)
            - (cpu_before.ru_utime + cpu_before.ru_stime), "machine_cpu_s": busy_after - busy_before}


def _machine_busy() -> float:
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


# --- the data ------------------------------------------------------------------------------------------------

def _build(workdir: Path, web_share: float) -> dict:
    """Build the campaign, its data, users, tokens and sessions; return the plan the clients follow."""
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection, transaction

    from thidua.accounts.models import Profile, Role
    from thidua.api.models import ApiToken
    from thidua.audit.chain import changeset_seal
    from thidua.audit.services import changeset_open
    from thidua.campaigns.models import CompetitionGroup
    from thidua.intake.models import Assignment, Machine
    from thidua.territory.models import AdminUnit, Level
    from thidua.units.models import Kind, Unit

    def national(config):
        import dataclasses

        return dataclasses.replace(config, code=CAMPAIGN_CODE, name=f"{config.name} (cuối ngày toàn quốc, benchmark)",
                                   deadline=config.start + dt.timedelta(days=DAYS - 1))

    campaign, config = common.setup_campaign("93", adjust=national)
    communes = list(AdminUnit.objects.filter(structure=campaign.structure, level=Level.COMMUNE)
                    .order_by("code").values_list("id", "code"))
    rng = random.Random(SEED)
    group = CompetitionGroup.objects.get(campaign=campaign, code="cap_huyen")
    day = config.start + dt.timedelta(days=DATA_DAYS)
    with transaction.atomic():
        phong = Unit.objects.create(campaign=campaign, code="PC06", name="Phòng PC06 (tổng hợp)", kind=Kind.PHONG)
        competitors = Unit.objects.bulk_create(
            [Unit(campaign=campaign, code=f"CAH-{i:04d}", name=f"Công an huyện {i:04d} (mô phỏng)",
                  kind=Kind.CONG_AN_HUYEN, parent=phong, group=group) for i in range(1, N_COMPETITORS + 1)],
            batch_size=500)
        teams = Unit.objects.bulk_create(
            [Unit(campaign=campaign, code=f"TO-{i:04d}-{k}", name=f"Tổ cấp CCCD {i:04d}-{k} (mô phỏng)",
                  kind=Kind.TO, parent=c) for i, c in enumerate(competitors, start=1)
             for k in range(1, PER_COMPETITOR + 1)], batch_size=500)
        probe = Unit.objects.create(campaign=campaign, code=PROBE_TEAM, name=PROBE_NAME, kind=Kind.TO,
                                    parent=competitors[0])
        machines = Machine.objects.bulk_create(
            [Machine(campaign=campaign, code=f"M{i:05d}") for i in range(1, N_MACHINES + 1)], batch_size=1000)
        probe_machine = Machine.objects.create(campaign=campaign, code=PROBE_MACHINE)
        team_of = [teams[i % len(teams)] for i in range(N_MACHINES)]
        commune_of = [communes[(i * 7 + i // len(teams)) % len(communes)] for i in range(N_MACHINES)]
        assignments = [Assignment(machine=m, team=t, start=config.start, end=config.deadline,
                                  **({"quota": DAILY_TARGET * DAYS + rng.randint(-500, 500)} if i % 4 == 3
                                     else {"daily_target": DAILY_TARGET}))
                       for i, (m, t) in enumerate(zip(machines, team_of, strict=True))]
        assignments.append(Assignment(machine=probe_machine, team=probe, start=config.start, end=config.deadline,
                                      daily_target=DAILY_TARGET))
        Assignment.objects.bulk_create(assignments, batch_size=1000)
        areas = {}
        for t, (commune_id, _) in zip(team_of, commune_of, strict=True):
            areas.setdefault(t.pk, set()).add(commune_id)
        areas[probe.pk] = {communes[0][0]}
        through = Unit.areas.through
        through.objects.bulk_create([through(unit_id=u, adminunit_id=c) for u, cs in areas.items() for c in cs],
                                    batch_size=2000)
        changeset = changeset_open(campaign=campaign, actor=common.ACTOR, source="import", reason="benchmark")
    pace = {c.pk: rng.uniform(0.7, 1.3) for c in competitors}

    def records():
        for d in range(DATA_DAYS):
            shown = (config.start + dt.timedelta(days=d)).isoformat()
            for m, t, (commune_id, _) in zip(machines, team_of, commune_of, strict=True):
                yield (campaign.pk, shown, m.pk, commune_id, t.pk,
                       max(0, int(rng.gauss(DAILY_TARGET * pace[t.parent_id], 40))), changeset.pk)

    columns = "campaign_id, day, machine_id, commune_id, team_id, applications, changeset_id"
    with transaction.atomic():
        raw = connection.connection
        if connection.vendor == "postgresql":
            with raw.cursor() as cur, cur.copy(f"COPY intake_intakerecord ({columns}) FROM STDIN") as copy:
                for row in records():
                    copy.write_row(row)
        else:
            raw.executemany(f"INSERT INTO intake_intakerecord ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?)", records())
        changeset_seal(changeset)  # the data's act in the history's chain: the database's history verifies
    # Users, tokens and open sessions: one per team, PC06 and a district per competitor led.
    User = get_user_model()
    hashed = make_password(PASSWORD)
    backend = settings.AUTHENTICATION_BACKENDS[0]
    with transaction.atomic():
        people = [(f"to-{t.code.lower()}", Role.TEAM, t) for t in [*teams, probe]]
        people += [("pc06-1", Role.PC06, phong), ("pc06-2", Role.PC06, phong)]
        people += [(f"huyen-{c.code.lower()}", Role.DISTRICT, c) for c in competitors[:18]]
        users = User.objects.bulk_create([User(username=name, password=hashed) for name, _, _ in people],
                                         batch_size=1000)
        if any(u.pk is None for u in users):
            ids = dict(User.objects.values_list("username", "id"))
            for u in users:
                u.pk = u.id = ids[u.username]
        Profile.objects.bulk_create([Profile(user=u, role=role, unit=unit)
                                     for u, (_, role, unit) in zip(users, people, strict=True)], batch_size=1000)
        secrets, tokens = {}, []
        for u, (_, role, unit) in zip(users, people, strict=True):
            if role == Role.TEAM:
                prefix = f"{u.pk:08x}"
                secret = f"thd_{prefix}_{rng.getrandbits(192):048x}"
                secrets[unit.code] = secret
                tokens.append(ApiToken(user=u, name="benchmark", prefix=prefix,
                                       secret_hash=hashlib.sha256(secret.encode()).hexdigest()))
        ApiToken.objects.bulk_create(tokens, batch_size=1000)
    sessions = {}
    for u, (_, role, unit) in zip(users, people, strict=True):
        if role != Role.TEAM or unit.code == PROBE_TEAM or rng.random() < web_share:
            store = SessionStore()
            store[SESSION_KEY], store[BACKEND_SESSION_KEY] = str(u.pk), backend
            store[HASH_SESSION_KEY] = u.get_session_auth_hash()
            store.create()
            sessions[u.username] = store.session_key
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    rows_of: dict[str, list] = {}
    for m, t, (_, commune_code) in zip(machines, team_of, commune_of, strict=True):
        rows_of.setdefault(t.code, []).append([m.code, commune_code, max(0, int(rng.gauss(DAILY_TARGET, 40)))])
    order = [t.code for t in teams]
    rng.shuffle(order)
    plan = {"day": day.isoformat(), "intake_url": f"/api/v1/campaigns/{CAMPAIGN_CODE}/intake", "order": order,
            "teams": {t.code: {"rows": rows_of[t.code], "token": secrets[t.code],
                               "web": f"to-{t.code.lower()}" in sessions,
                               "session": sessions.get(f"to-{t.code.lower()}")} for t in teams},
            "leaders": [sessions[name] for name, role, _ in people if role != Role.TEAM],
            "probe": {"token": secrets[PROBE_TEAM], "session": sessions["pc06-2"], "commune": communes[0][1]}}
    path = workdir / "plan.json"
    path.write_text(json.dumps(plan))
    return {"campaign": campaign, "day": day, "plan": path, "rows": DATA_DAYS * N_MACHINES,
            "web": sum(1 for e in plan["teams"].values() if e["web"]), "teams": len(teams),
            "database": connection.settings_dict["NAME"] if connection.vendor == "postgresql" else ""}


def _check(campaign, day: dt.date, accepted: dict, plan: dict) -> dict:
    """Compare what is stored for the burst's day with what the clients had accepted."""
    from django.db import connection
    from django.db.models import Count, Sum

    from thidua.intake.integrity import COMMUNE_TOTALS_OFF, TOTALS_OFF
    from thidua.intake.models import IntakeRecord

    stored = {t: (n, c) for t, n, c in IntakeRecord.objects.filter(campaign=campaign, day=day)
              .exclude(team__code=PROBE_TEAM).values_list("team__code").annotate(n=Sum("applications"),
                                                                              c=Count("id")).order_by()}
    sent = {t: (sum(r[2] for r in rows), len(rows)) for t, rows in accepted.items()}
    lost = sorted(set(sent) - set(stored))
    wrong = sorted(t for t in sent if t in stored and stored[t] != sent[t])
    extra = sorted(set(stored) - set(sent))
    with connection.cursor() as cursor:
        cursor.execute(TOTALS_OFF)
        totals_off = cursor.fetchone()
        if totals_off is None:
            cursor.execute(COMMUNE_TOTALS_OFF)
            totals_off = cursor.fetchone()
    return {"teams": len(plan["teams"]), "accepted": len(sent), "stored": len(stored), "lost": lost, "wrong": wrong,
            "extra": extra, "sent_sum": sum(v[0] for v in sent.values()),
            "stored_sum": sum(v[0] for v in stored.values()), "totals_match": totals_off is None}


# --- the server ----------------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(workdir: Path, port: int, workers: int, threads: int, day: dt.date) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "gunicorn", "-c", "python:thidua.web.serving", "thidua.wsgi:application", "--bind",
           f"127.0.0.1:{port}", "--workers", str(workers), "--backlog", "2048", "--timeout", "120",
           "--error-logfile", str(workdir / "gunicorn.log")]
    if threads > 1:  # threads of one process share its standings: each act brings them up to date once per process
        cmd += ["--worker-class", "thidua.web.serving.VietnameseThreadWorker", "--threads", str(threads)]
    # As deployed (deploy/thidua.env.example): one JSON line per request, with its duration and its worker.
    env = common.child_env(DJANGO_SETTINGS_MODULE="thidua.settings", DB_CONN_MAX_AGE="600", DEBUG="false",
                           THIDUA_SIMULATED_TODAY=day.isoformat(), LOG_FORMAT="json", LOG_REQUESTS="true")
    # The site's log (its warnings: the standings' slow updates among them) in the working folder (--keep keeps it).
    log = open(workdir / "site.log", "w")  # noqa: SIM115 (the server's output until it stops; closed with the process)
    server = subprocess.Popen(cmd, cwd=common.ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn stopped (exit {server.returncode}); see {workdir / 'gunicorn.log'}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/dang-nhap/", timeout=5) as resp:
                if resp.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("gunicorn did not answer within 120 s")


def _warm(host: str, plan: dict) -> float:
    """Ask each leader page once (each worker computes its standings and forecast once, as in the morning)."""
    started = time.perf_counter()
    cookie = f"sessionid={plan['leaders'][0]}"
    for _ in range(6):
        for url, _weight in LEADER_PAGES.values():
            request = urllib.request.Request(host + url, headers={"Cookie": cookie})
            with urllib.request.urlopen(request, timeout=300) as resp:
                resp.read()
    return time.perf_counter() - started


def _stop(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


class _Sampler(threading.Thread):
    """Every 2 s during the burst: each gunicorn worker's resident memory and, on PostgreSQL, the database's
    connections; at the end, each worker's CPU time over the burst and its peak memory (VmHWM)."""

    def __init__(self, server: subprocess.Popen):
        super().__init__(daemon=True)
        self.server, self.stop, self.connections = server, threading.Event(), 0
        self.cpu_before = {pid: _cpu_s(pid) for pid in self._workers()}

    def _workers(self) -> list[int]:
        path = Path(f"/proc/{self.server.pid}/task/{self.server.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def run(self) -> None:
        from django.db import connection

        while not self.stop.wait(2.0):
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()")
                    self.connections = max(self.connections, cursor.fetchone()[0] - 1)  # less this one
        connection.close()

    def finish(self, seconds: float) -> dict:
        self.stop.set()
        self.join()
        workers = {}
        for pid in self._workers():
            status = Path(f"/proc/{pid}/status").read_text()
            peak = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024
            workers[pid] = {"cpu": (_cpu_s(pid) - self.cpu_before.get(pid, 0.0)) / seconds, "peak_mib": peak}
        return {"workers": workers, "db_connections": self.connections}


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


# --- the report ----------------------------------------------------------------------------------------------

def _report(result: dict, check: dict) -> None:
    print(f"\nBurst: {result['seconds']:.0f} s, {result['accepted']} teams' days accepted")
    table = [["request", "count", "failures", "median ms", "p95 ms", "p99 ms", "max ms", "req/s"]]
    for name, k in sorted(result["kinds"].items()):
        table.append([name, str(k["requests"]), str(k["failures"]), f"{k['median']:.0f}", f"{k['p95']:.0f}",
                      f"{k['p99']:.0f}", f"{k['max']:.0f}", f"{k['rps']:.2f}"])
    common.print_table(table)
    probe = result["probe"]
    if probe:
        ordered = sorted(p["ms"] for p in probe)
        print(f"Probe (write, then read the standings page): {len(probe)} reads, {sum(p['shows_write'] for p in probe)}"
              f" showed the write; median {statistics.median(ordered):.0f} ms, max {ordered[-1]:.0f} ms")
    for reason, n in sorted(result["reasons"].items(), key=lambda kv: -kv[1])[:8]:
        print(f"  failure ×{n}: {reason}")
    machine = result["machine_cpu_s"] / result["seconds"]
    print(f"CPU over the run ({os.cpu_count()} cores = {os.cpu_count():.0%}): the machine {machine:.0%}, of which the "
          f"load generator {result['client_cpu_s'] / result['seconds']:.0%}")
    server = result.get("server")
    if server:
        each = ", ".join(f"{w['cpu']:.0%} CPU, peak {w['peak_mib']:.0f} MiB" for w in server["workers"].values())
        print(f"gunicorn workers over the burst: {each}"
              + (f"; database connections at most {server['db_connections']}" if server["db_connections"] else ""))
    print(f"Check: {check['accepted']} days accepted by the clients, {check['stored']} stored; lost {check['lost'][:5]}"
          f", counted differently {check['wrong'][:5]}, stored without an acceptance {check['extra'][:5]}; "
          f"applications sent {check['sent_sum']:,}, stored {check['stored_sum']:,}; team-day and commune-day totals "
          f"equal to the records: {check['totals_match']}")
    kinds = result["kinds"]
    checks = []
    for name in ("standings", "forecast", "home"):
        if name in kinds:
            checks.append((f"{name} p95 ≤ {GOAL_P95_MS:.0f} ms during the burst", f"{kinds[name]['p95']:.0f} ms",
                           kinds[name]["p95"] <= GOAL_P95_MS and kinds[name]["failures"] == 0))
    if probe:
        worst = max(p["ms"] for p in probe) / 1000
        checks.append(("a standings read right after a write ≤ 1 s and showing it", f"max {worst:.2f} s",
                       worst <= GOAL_READ_AFTER_WRITE_S and all(p["shows_write"] for p in probe)))
    checks.append(("every submission stored exactly once", f"{check['stored']}/{check['teams']}",
                   not check["lost"] and not check["wrong"] and not check["extra"]
                   and check["accepted"] == check["teams"] and check["totals_match"]))
    common.print_goals(checks, max(len(c[0]) for c in checks))


def _site_log(path: Path) -> list[dict]:
    """Return the site's JSON log lines (the requests and the warnings), each with `end` (epoch seconds)."""
    entries = []
    for line in path.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # gunicorn's own lines
        if isinstance(entry, dict) and "time" in entry:
            entry["end"] = dt.datetime.fromisoformat(entry["time"]).timestamp()
            entries.append(entry)
    return entries


def _report_server_side(logged: list[dict], probe: list[dict]) -> None:
    """Print the pages' durations inside the site (from its request log: the rest of a client's time is the wait for
    a free thread and the network), and what the site was doing during the probe's slowest read."""
    requests = [e for e in logged if "duration_ms" in e]
    if not requests:
        return
    pages = {path: name for name, (path, _) in LEADER_PAGES.items()}
    by_page: dict[str, list[float]] = {}
    for e in requests:
        if e.get("path") in pages:
            by_page.setdefault(pages[e["path"]], []).append(e["duration_ms"])
    print("Inside the site (its request log): " + "; ".join(
        f"{name} median {statistics.median(v):.0f} ms, p95 {_percentile(sorted(v), 95):.0f}, max {max(v):.0f}"
        for name, v in sorted(by_page.items())))
    if not probe:
        return
    worst = max(probe, key=lambda p: p["ms"])
    start, end = worst["at"], worst["at"] + worst["ms"] / 1000
    during = [e for e in requests if e["end"] - e["duration_ms"] / 1000 < end + 0.05 and e["end"] > start - 0.05]
    # The probe's session is a leader's too: its read is the one of that user ending nearest the probe's answer.
    mine = sorted((e for e in during if e.get("path") == LEADER_PAGES["standings"][0] and e.get("user") == "pc06-2"
                   and abs(e["end"] - end) < 0.5), key=lambda e: abs(e["end"] - end))
    inside = f"{mine[0]['duration_ms']:.0f} ms inside the site (worker {mine[0]['pid']})" if mine else "not found"
    print(f"The probe's slowest read ({worst['ms']:.0f} ms): {inside}; meanwhile:")
    for e in sorted(during, key=lambda e: -e["duration_ms"])[:8]:
        print(f"  [{e['pid']}] {e['method']} {e['path']} {e['status']} {e['duration_ms']:.0f} ms, ended "
              f"{e['end'] - start:+.2f} s after the read began")
    for e in logged:
        if "duration_ms" not in e and start - 2 < e["end"] < end + 2:
            print(f"  [{e.get('pid')}] {e.get('level')} {e.get('message')}")


def main() -> None:
    argv = common.child_args()
    if argv is not None:
        host, plan_path, window, leaders, out_path = argv
        common.report_result(_load(host, plan_path, float(window), int(leaders), out_path))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--window", type=float, default=300, help="seconds in which every team submits (300)")
    parser.add_argument("--leaders", type=int, default=20, help="leaders refreshing their pages (20)")
    parser.add_argument("--web-share", type=float, default=0.1, help="share of teams using the report page (0.1)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (4)")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker; > 1: threaded workers (1)")
    parser.add_argument("--scale", choices=tuple(SCALES), default="national",
                        help="national (default) or small: a 20th of it, to try the script")
    parser.add_argument("--keep", action="store_true", help="keep the working folder and the database")
    args = parser.parse_args()
    global N_COMPETITORS, N_MACHINES, DATA_DAYS
    N_COMPETITORS, _, N_MACHINES, DATA_DAYS = SCALES[args.scale]
    with common.workspace("thidua-bench-burst-", "thidua_bench_burst", args.keep) as workdir:
        t0 = time.perf_counter()
        built = _build(workdir, args.web_share)
        campaign, day = built["campaign"], built["day"]
        print(f"Data (not measured, {time.perf_counter() - t0:.0f} s): {N_COMPETITORS} competitors, {built['teams']} "
              f"teams (+ the probe), {N_MACHINES:,} machines, {built['rows']:,} intake rows before {day:%d/%m/%Y}; "
              f"{built['web']} teams use the report page, the others the API", flush=True)
        from django.db import connections

        connections.close_all()
        port = _free_port()
        host = f"http://127.0.0.1:{port}"
        server = _serve(workdir, port, args.workers, args.threads, day)
        try:
            plan = json.loads(built["plan"].read_text())
            warm = _warm(host, plan)
            kind = f"threaded, {args.threads} threads each" if args.threads > 1 else "sync"
            print(f"Server: gunicorn {host}, {args.workers} workers ({kind}); warm-up {warm:.0f} s", flush=True)
            out = workdir / "accepted.json"
            sampler = _Sampler(server)
            sampler.start()
            result = common.run_child(__file__, host, str(built["plan"]), str(args.window), str(args.leaders),
                                      str(out))
            result["server"] = sampler.finish(result["seconds"])
        finally:
            _stop(server)
        check = _check(campaign, day, json.loads(out.read_text()), plan)
        (workdir / "result.json").write_text(json.dumps({"result": result, "check": check}, default=str))
        _report(result, check)
        logged = _site_log(workdir / "site.log")
        slow = [e for e in logged if "Bảng xếp hạng đợt" in e.get("message", "")]
        print(f"Standings updates slower than a reader waits (the site's log): {len(slow)}"
              + "".join(f"\n  {e.get('time')} [{e.get('pid')}] {e.get('message')}" for e in slow[:10]))
        from thidua.web.serving import GC_SLOW_S

        passes = sorted(e["gc_seconds"] for e in logged if "gc_seconds" in e)
        print(f"Garbage collector's full passes over {GC_SLOW_S:.1f} s (the site's log): {len(passes)}"
              + (f", median {statistics.median(passes):.2f} s, max {passes[-1]:.2f} s" if passes else ""))
        _report_server_side(logged, result["probe"])


if __name__ == "__main__":
    main()
