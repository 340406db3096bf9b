"""PostgreSQL stopped and started under traffic (issue 12, point 4), for real: bench/bench_faults.py starts a
throw-away cluster of its own on another port (never the machine's PostgreSQL), the site under gunicorn, and
clients reading and writing pages and the API while it stops and starts the cluster; it checks that every answer
was a 200/302 or a 503 in Vietnamese, that the site answered normally again by itself, that the database holds
exactly the acknowledged writes and that `thidua audit verify` is clean. About 30 s."""

import getpass
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def test_postgresql_restarted_under_traffic_is_answered_cleanly_and_recovered_from():
    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        pytest.skip("a PostgreSQL restart: SQLite has no server to stop")
    if not list(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl")):
        pytest.skip("PostgreSQL's server programs (initdb, pg_ctl) are not installed")
    if os.geteuid() != 0 and getpass.getuser() != "postgres":
        pytest.skip("the throw-away cluster runs as the user postgres: needs root or postgres")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, "bench/bench_faults.py", "--before", "2", "--outage", "3", "--after", "4"],
                          env=env, cwd=REPO, capture_output=True, text=True, timeout=240)
    print(done.stdout)
    assert done.returncode == 0 and "FAIL" not in done.stdout, done.stdout + done.stderr[-3000:]
    assert done.stdout.count("PASS") == 8
