"""Benchmark of the pages under load: each role's home page and the standings page, served by gunicorn, 20 clients.

    .venv/bin/python bench/bench_web.py [--duration 60] [--warmup 15] [--users 20] [--workers 4] [--threads 1]
                                        [--conn-max-age 600] [--think 1-3] [--keep]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/thidua_bench_web .venv/bin/python bench/bench_web.py

Needs the `bench` extra (`pip install -c constraints.txt -e '.[dev,bench]'`, or `make bench-web`): locust.

What it does:
1. A fresh database (bench/_common.py): a SQLite file in a temporary folder, unless DATABASE_URL names one
   (its name must contain "bench": it is dropped and created again). Then `migrate` and the demo
   (`thidua/demo`, what `thidua demo --no-serve --seed 2021 --today 2021-07-01` builds): the Hậu Giang 2021
   campaign on the real territory, synthetic data through the whole campaign, one user per role
   (quantri, pc06, hoidong, huyen, to, xem; password ThiDua@2021); then ANALYZE, as a working database has
   its planner statistics (see _build). Not measured.
2. IN PROCESS: each page for each role through Django's test client, one request at a time (median of 20), with
   its number of queries; and `campaign_standings` alone. What a request costs without HTTP nor concurrency.
3. SERVER: gunicorn on a free loopback port, `thidua.wsgi`, as deployed (DEBUG off, no access log), with
   DB_CONN_MAX_AGE persistent connections; sync workers by default (the pages are CPU-bound Python: threads
   add no throughput under the GIL, and the 2 cores are shared with the load generator).
4. LOAD: locust (as a library, in a child process; FastHttpUser: the lightest client, so that it takes as little
   of the shared CPU as possible). USERS clients, spread over the 6 roles in turn (20 → 4, 4, 3, 3, 3, 3); each
   logs in once with its own session, then requests, at random with equal weight, its home page `/`, the
   standings page `/dot/hau-giang-2021/xep-hang/` and the monitoring pages of issue 11 (forecast `du-bao/`,
   dashboards `bieu-do/`, coverage `do-phu/`, the board `bang-tin/`, the replay `dien-bien/`). Every response
   must be a 200 (redirects are not followed: a
   redirect to the login page is a failure) carrying the campaign's name and the logout button, else it counts
   as a failure. Two runs, each WARMUP s (logins, first requests; not counted) then DURATION s measured:
   - THINK: a think time drawn uniformly in [1, 3] s after each page (people reading a table take longer: this
     is a pessimistic pace for people, ~10 requests/s from 20 clients);
   - NO THINK: each client sends its next request as soon as it has the previous answer (closed loop): the
     saturation figure; latency there is the queue in front of the server (Little's law: 20 ÷ throughput).
   Response times are every measured request's, exact (not locust's rounded buckets).
5. The report: per run and page, requests, failures, median, p95, p99, max (ms), requests/s, whether
   p95 ≤ 150 ms; the CPU taken over the run by the server (gunicorn's workers), the client, PostgreSQL's sessions
   and every other process of the machine (a shared machine: another's tests take the same 2 cores, and the
   figures then say so), and the CPU time per request.
The exit code is 0 whatever the figures: a benchmark, not a test.
"""

import argparse
import datetime as dt
import http.cookiejar
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
import time
import urllib.parse
import urllib.request
from pathlib import Path

import _common as common

CAMPAIGN_CODE = "hau-giang-2021"
SEED = 2021
UNTIL = dt.date(2021, 7, 1)
ROLES = ("quantri", "pc06", "hoidong", "huyen", "to", "xem")
PASSWORD = "ThiDua@2021"
PAGES = {"home": "/", "standings": f"/dot/{CAMPAIGN_CODE}/xep-hang/",
         # issue 11: the monitoring pages every role reads (the planner is PC06's: measured in process only)
         "forecast": f"/dot/{CAMPAIGN_CODE}/du-bao/", "dashboard": f"/dot/{CAMPAIGN_CODE}/bieu-do/",
         "coverage": f"/dot/{CAMPAIGN_CODE}/do-phu/", "board": f"/dot/{CAMPAIGN_CODE}/bang-tin/",
         "replay": f"/dot/{CAMPAIGN_CODE}/dien-bien/"}
LOGIN = "/dang-nhap/"
LOGGED_IN = "Đăng xuất"  # the logout button: only a signed-in page has it
GOAL_P95_MS = 150.0
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


# --- the load, in a child process (locust patches the standard library with gevent on import) ----------------

def _percentile(ordered: list[float], q: float) -> float:
    """Return the q-th percentile (nearest rank) of sorted values."""
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def _load(host: str, campaign_name: str, users: int, think: tuple[float, float], warmup: float,
          duration: float, server_pid: int, database: str) -> dict:
    import itertools

    import gevent
    from locust import FastHttpUser, between, constant, task
    from locust.env import Environment

    roles = itertools.cycle(ROLES)
    measuring = False
    times: dict[str, list[float]] = {name: [] for name in PAGES}
    failed: dict[str, int] = dict.fromkeys(PAGES, 0)
    reasons: dict[str, int] = {}

    class Visitor(FastHttpUser):
        wait_time = between(*think) if think[1] > 0 else constant(0)

        def on_start(self):
            self.username = next(roles)
            page = self.client.get(LOGIN, name="login")
            token = CSRF_FIELD.search(page.text or "")
            form = {"username": self.username, "password": PASSWORD,
                    "csrfmiddlewaretoken": token.group(1) if token else ""}
            with self.client.post(LOGIN, data=urllib.parse.urlencode(form), name="login", allow_redirects=False,
                                  headers={"Content-Type": "application/x-www-form-urlencoded"},
                                  catch_response=True) as resp:
                if resp.status_code != 302:
                    resp.failure(f"login of {self.username}: HTTP {resp.status_code}")

        def _page(self, name: str) -> None:
            with self.client.get(PAGES[name], name=name, allow_redirects=False, catch_response=True) as resp:
                if resp.status_code != 200:
                    resp.failure(f"HTTP {resp.status_code} {resp.headers.get('Location', '')}".strip())
                elif campaign_name not in resp.text or LOGGED_IN not in resp.text:
                    resp.failure("200 but not the page (no campaign name or no logout button)")

        @task
        def page(self):
            self._page(random.choice(NAMES))  # every page with equal weight

    NAMES = list(PAGES)
    env = Environment(user_classes=[Visitor], host=host)

    def on_request(request_type, name, response_time, response_length, exception=None, **kwargs):
        if name == "login" and exception is not None:
            reasons[str(exception)] = reasons.get(str(exception), 0) + 1
        if not measuring or name not in times:
            return
        times[name].append(response_time)
        if exception is not None:
            failed[name] += 1
            reasons[str(exception)] = reasons.get(str(exception), 0) + 1

    env.events.request.add_listener(on_request)
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=users)
    gevent.sleep(warmup)
    cpu_before, server_before, db_before, busy_before = (
        resource.getrusage(resource.RUSAGE_SELF), _server_cpu(server_pid), _database_cpu(database), _machine_busy())
    measuring, started = True, time.perf_counter()
    gevent.sleep(duration)
    measuring, seconds = False, time.perf_counter() - started
    cpu_after, server_after, db_after, busy_after = (
        resource.getrusage(resource.RUSAGE_SELF), _server_cpu(server_pid), _database_cpu(database), _machine_busy())
    runner.quit()
    pages = {}
    for name, values in times.items():
        ordered = sorted(values)
        pages[name] = {"requests": len(ordered), "failures": failed[name], "rps": len(ordered) / seconds,
                       **({"median": statistics.median(ordered), "p95": _percentile(ordered, 95),
                           "p99": _percentile(ordered, 99), "max": ordered[-1]} if ordered else {})}
    client_cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    return {"seconds": seconds, "pages": pages, "reasons": reasons, "client_cpu_s": client_cpu, "database": database,
            "server_cpu_s": server_after - server_before, "database_cpu_s": db_after - db_before,
            "machine_cpu_s": busy_after - busy_before}


def _machine_busy() -> float:
    """Return the CPU seconds spent so far by the whole machine, all cores, every process (from /proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")  # all but idle and iowait


def _cpu_of(pids) -> float:
    """Return the CPU seconds used so far by these processes (from /proc; one that ended meanwhile counts 0)."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def _server_cpu(pid: int) -> float:
    """Return the CPU seconds used so far by gunicorn's master and its workers."""
    return _cpu_of([pid, *map(int, Path(f"/proc/{pid}/task/{pid}/children").read_text().split())])


def _database_cpu(name: str) -> float:
    """Return the CPU seconds used so far by the PostgreSQL sessions on database `name` (none for SQLite).

    A session's process title is "postgres: CLUSTER: USER DATABASE ADDRESS STATE"; the server keeps its sessions
    (DB_CONN_MAX_AGE), so those of the measure are there from its start to its end.
    """
    if not name:
        return 0.0
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                title = (entry / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if title.startswith("postgres: ") and f" {name} " in title:
                pids.append(int(entry.name))
    return _cpu_of(pids)


def _child(argv: list[str]) -> None:
    host, name, users, think_min, think_max, warmup, duration, server_pid, database = argv
    result = _load(host, name, int(users), (float(think_min), float(think_max)), float(warmup), float(duration),
                   int(server_pid), database)
    common.report_result(result)


# --- the database and the in-process costs -------------------------------------------------------------------

def _build() -> dict:
    """Migrate and build the demo campaign (what `thidua demo --no-serve --seed 2021 --today 2021-07-01` does), then
    ANALYZE: a working database has its planner statistics (PostgreSQL's autovacuum; it is off on the development
    machine's server, and without statistics a query may be planned for 2 rows instead of 1,335)."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from thidua.demo.services import demo_setup
    from thidua.intake.models import IntakeRecord
    from thidua.units.models import Unit

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    demo = demo_setup(seed=SEED, today=UNTIL)
    campaign, logins = demo.campaign, demo.logins
    if sorted(login.username for login in logins) != sorted(ROLES):
        raise SystemExit(f"the demo made the users {[login.username for login in logins]}, not {list(ROLES)}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"campaign": campaign, "seconds": time.perf_counter() - started,
            "database": connection.settings_dict["NAME"] if connection.vendor == "postgresql" else "",
            "intake_rows": IntakeRecord.objects.filter(campaign=campaign).count(),
            "units": Unit.objects.filter(campaign=campaign).count(), "acts": demo.acts}


def _in_process(campaign) -> list[list[str]]:
    """Time each page for each role through the test client (no HTTP), one request at a time; count queries."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from thidua.standings.selectors import campaign_standings

    table = [["role", *(f"{name} ms" for name in PAGES), *(f"{name} queries" for name in PAGES)]]
    for role in ROLES:
        client = Client(SERVER_NAME="127.0.0.1")
        if not client.login(username=role, password=PASSWORD):
            raise SystemExit(f"cannot log in as {role}")
        times, queries = [], []
        for url in PAGES.values():
            first = client.get(url)
            if first.status_code != 200:
                raise SystemExit(f"{role} {url}: HTTP {first.status_code}")
            took = []
            for _ in range(20):
                started = time.perf_counter()
                client.get(url)
                took.append(time.perf_counter() - started)
            with CaptureQueriesContext(connection) as captured:
                client.get(url)
            times.append(f"{statistics.median(took) * 1000:.1f}")
            queries.append(str(len(captured)))
        table.append([role, *times, *queries])
    took = []
    for _ in range(20):
        started = time.perf_counter()
        campaign_standings(campaign)
        took.append(time.perf_counter() - started)
    table.append(["campaign_standings", f"{statistics.median(took) * 1000:.1f}", *[""] * (2 * len(PAGES) - 1)])
    return table


# --- the server ----------------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(workdir: Path, port: int, args) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "gunicorn", "-c", "python:thidua.web.serving", "thidua.wsgi:application", "--bind",
           f"127.0.0.1:{port}", "--workers", str(args.workers), "--backlog", "2048",
           "--error-logfile", str(workdir / "gunicorn.log")]
    if args.threads > 1:
        cmd += ["--worker-class", "gthread", "--threads", str(args.threads)]
    env = common.child_env(DJANGO_SETTINGS_MODULE="thidua.settings", DB_CONN_MAX_AGE=str(args.conn_max_age),
                           DEBUG="false")
    server = subprocess.Popen(cmd, cwd=common.ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn stopped (exit {server.returncode}); see {workdir / 'gunicorn.log'}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{LOGIN}", timeout=5) as resp:
                if resp.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not answer within 60 s")


def _stop(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _check_pages(host: str, campaign_name: str) -> None:
    """Log in as each role over HTTP and check that both pages are the real pages (200, the campaign's name)."""
    for role in ROLES:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
        with opener.open(host + LOGIN) as resp:
            token = CSRF_FIELD.search(resp.read().decode()).group(1)
        form = urllib.parse.urlencode({"username": role, "password": PASSWORD, "csrfmiddlewaretoken": token})
        try:
            opener.open(host + LOGIN, data=form.encode())
            raise SystemExit(f"login of {role}: no redirect (wrong password or form?)")
        except urllib.error.HTTPError as exc:
            if exc.code != 302:
                raise SystemExit(f"login of {role}: HTTP {exc.code}") from exc
        for url in PAGES.values():
            try:
                with opener.open(host + url) as resp:
                    body = resp.read().decode()
            except urllib.error.HTTPError as exc:
                raise SystemExit(f"{role} {url}: HTTP {exc.code} {exc.headers.get('Location', '')}") from exc
            if campaign_name not in body or LOGGED_IN not in body:
                raise SystemExit(f"{role} {url}: 200 but not the page")


# --- the report ----------------------------------------------------------------------------------------------

def _report(title: str, result: dict) -> dict:
    print(f"\n{title}: {result['seconds']:.0f} s measured")
    table = [["page", "requests", "failures", "median ms", "p95 ms", "p99 ms", "max ms", "req/s", "p95 ≤ 150 ms"]]
    verdicts = {}
    for name, p in result["pages"].items():
        if not p["requests"]:
            table.append([name, "0", "0", "", "", "", "", "0", "MISS"])
            verdicts[name] = False
            continue
        ok = p["p95"] <= GOAL_P95_MS and p["failures"] == 0
        verdicts[name] = ok
        table.append([name, str(p["requests"]), str(p["failures"]), f"{p['median']:.1f}", f"{p['p95']:.1f}",
                      f"{p['p99']:.1f}", f"{p['max']:.1f}", f"{p['rps']:.1f}", "PASS" if ok else "MISS"])
    total = sum(p["requests"] for p in result["pages"].values())
    table.append(["all", str(total), str(sum(p["failures"] for p in result["pages"].values())), "", "", "", "",
                  f"{total / result['seconds']:.1f}", ""])
    common.print_table(table)
    seconds, cores = result["seconds"], os.cpu_count()
    server, client, db, machine = (result[k] / seconds for k in ("server_cpu_s", "client_cpu_s", "database_cpu_s",
                                                                  "machine_cpu_s"))
    print(f"CPU over the run ({cores} cores = {cores:.0%}): server (gunicorn) {server:.0%}, client (locust) "
          f"{client:.0%}" + (f", PostgreSQL {db:.0%}" if result["database"] else "")
          + f", other processes of the machine {max(0.0, machine - server - client - db):.0%}")
    per_request = (result["server_cpu_s"] + result["database_cpu_s"]) / max(1, total)
    print(f"Server{' and database' if result['database'] else ''} CPU per request: {per_request * 1000:.1f} ms")
    for reason, n in sorted(result["reasons"].items(), key=lambda kv: -kv[1])[:5]:
        print(f"  failure ×{n}: {reason}")
    return verdicts


def _think(raw: str) -> tuple[float, float]:
    low, _, high = raw.partition("-")
    return float(low), float(high or low)


def main() -> None:
    argv = common.child_args()
    if argv is not None:
        _child(argv)
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--duration", type=float, default=60, help="seconds measured per run (default 60)")
    parser.add_argument("--warmup", type=float, default=15, help="seconds before measuring (default 15)")
    parser.add_argument("--think", type=_think, default=(1.0, 3.0), help="think time range in s (default 1-3)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker; > 1: gthread (default 1: sync)")
    parser.add_argument("--conn-max-age", type=int, default=600, help="DB_CONN_MAX_AGE of the server (default 600)")
    parser.add_argument("--runs", default="think,nothink", help="which runs: think, nothink or both (default)")
    parser.add_argument("--keep", action="store_true", help="keep the working folder and the database")
    args = parser.parse_args()

    with common.workspace("thidua-bench-web-", "thidua_bench_web", args.keep) as workdir:
        built = _build()
        campaign = built["campaign"]
        print(f"Demo campaign {campaign.code} through {UNTIL}: {built['units']} units, {built['intake_rows']} intake "
              f"rows, {built['acts']} acts of the history, users {', '.join(ROLES)} ({built['seconds']:.1f} s)")
        print("\nIn process (Django's test client, no HTTP, one request at a time; median of 20):")
        common.print_table(_in_process(campaign))
        from django.db import connections

        connections.close_all()

        port = _free_port()
        host = f"http://127.0.0.1:{port}"
        server = _serve(workdir, port, args)
        kind = f"gthread, {args.threads} threads each" if args.threads > 1 else "sync"
        print(f"\nServer: gunicorn {host}, {args.workers} workers ({kind}), DB_CONN_MAX_AGE={args.conn_max_age}, "
              f"DEBUG off; {os.cpu_count()} CPUs shared by the server and the client.")
        try:
            _check_pages(host, campaign.name)
            print(f"Checked over HTTP: each role logs in and gets both pages (200, «{campaign.code}» named).")
            verdicts = {}
            runs = {"think": (f"THINK {args.think[0]:g}–{args.think[1]:g} s", args.think),
                    "nothink": ("NO THINK (saturation)", (0.0, 0.0))}
            for key in args.runs.split(","):
                title, think = runs[key]
                title = f"{title}, {args.users} clients"
                result = common.run_child(__file__, host, campaign.name, str(args.users), str(think[0]),
                                          str(think[1]), str(args.warmup), str(args.duration), str(server.pid),
                                          built["database"])
                verdicts[key] = _report(title, result)
                Path(workdir / f"{key}.json").write_text(json.dumps(result))
        finally:
            _stop(server)
        checks = [(f"{key}: {page} p95 ≤ {GOAL_P95_MS:.0f} ms, no failure", "", ok)
                  for key, pages in verdicts.items() for page, ok in pages.items()]
        common.print_goals(checks, max(len(c[0]) for c in checks))


if __name__ == "__main__":
    main()
