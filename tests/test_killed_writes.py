"""A process killed in the middle of a day's write (issue 12, point 4) leaves no part of it: the day report's page
and the API's intake, each sent by a process of its own (the site's whole stack, through Django's test client) that
is stopped inside the write's transaction — its records and its act written, the commit not yet sent — and killed
with SIGKILL there, as a worker is by the OOM killer or `kill -9`. Then: no record, no act, no idempotency key, the
history verifies, the team-day totals equal the records, and the same request sent again is written once.

Killed imports: tests/test_import_processes.py, whose database fixture this reuses (a SQLite file, or a PostgreSQL
database of the test's own when the suite runs on PostgreSQL).
"""

import signal
import subprocess
import sys
import time

import pytest
from test_import_processes import REPO, _run
from test_import_processes import database as database  # the fixture

pytestmark = pytest.mark.slow
CODE = "hau-giang-2021"
DAY = "2021-03-10"
MACHINE, COMMUNE = "M000", "31318"

SETUP = """
import django
django.setup()
from thidua.accounts.models import Role
from thidua.accounts.services import user_create
from thidua.api.services import token_create
from thidua.units.models import Unit

user = user_create(username="to-vth", password="Mat-khau-2021", role=Role.TEAM, actor="kiem-thu",
                   unit=Unit.objects.get(campaign__code="hau-giang-2021", code="TO-VTH"))
print(token_create(user=user, name="kiểm thử", actor="kiem-thu")[1])
"""

# One request of the site in a process of its own; with "hold", it stops at the commit of the transaction that
# wrote an intake record (everything written, nothing committed), says INSIDE and waits to be killed.
WRITE = """
import json, sys, time
import django
django.setup()
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client

how, token, code, day, machine, commune = sys.argv[1:7]
if sys.argv[7] == "hold":
    wrote = []

    def watch(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.lstrip().startswith('INSERT INTO "intake_intakerecord"'):
            wrote.append(sql)
        return result

    connection.execute_wrappers.append(watch)
    commit = connection._commit

    def held():
        if wrote:
            print("INSIDE", flush=True)
            time.sleep(600)
        return commit()

    connection._commit = held
client = Client(SERVER_NAME="localhost")
if how == "page":
    client.force_login(get_user_model().objects.get(username="to-vth"))
    response = client.post(f"/dot/{code}/bao-cao/TO-VTH/{day}/", {f"n-{machine}-{commune}": "77", "action": "save"})
else:
    row = {"ngay": day, "ma_may": machine, "ma_xa": commune, "so_ho_so": 77}
    response = client.post(f"/api/v1/campaigns/{code}/intake", json.dumps({"rows": [row]}),
                           content_type="application/json",
                           headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "ngay-10-03"})
print("STATUS", response.status_code, response.headers.get("Idempotent-Replayed", ""), flush=True)
"""


@pytest.fixture
def data_dir(monkeypatch, tmp_path):
    """Keep the instance's files (the journal of the history's heads above all) in the test's folder: the database
    fixture's processes inherit it, and on PostgreSQL they would otherwise share the default folder."""
    monkeypatch.setenv("THIDUA_DATA_DIR", str(tmp_path / "data"))


def _write(env, how: str, token: str, hold: bool):
    return subprocess.Popen([sys.executable, "-c", WRITE, how, token, CODE, DAY, MACHINE, COMMUNE,
                             "hold" if hold else "go"], env=env, cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _state(query) -> dict:
    return {
        "records": query("SELECT COUNT(*) FROM intake_intakerecord")[0],
        "acts": query("SELECT COUNT(*) FROM audit_changeset")[0],
        "keys": query("SELECT COUNT(*) FROM api_idempotentrequest")[0],
        "reports": query("SELECT COUNT(*) FROM intake_dailyreport")[0],
        # Team-day totals that differ from their records (kept by triggers in the transaction of the write).
        "totals_off": query(
            "SELECT COUNT(*) FROM (SELECT team_id, day, applications, records FROM intake_teamdaytotal "
            "EXCEPT SELECT a.team_id, r.day, SUM(r.applications), COUNT(*) FROM intake_intakerecord r "
            "JOIN intake_assignment a ON a.machine_id = r.machine_id AND a.\"start\" <= r.day "
            "AND r.day <= a.\"end\" GROUP BY a.team_id, r.day) d")[0],
    }


@pytest.mark.parametrize("how", ["page", "api"])
def test_a_write_killed_inside_its_transaction_leaves_nothing_and_goes_through_again(data_dir, database, how):
    env, query = database
    made = subprocess.run([sys.executable, "-c", SETUP], env=env, cwd=REPO, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr[-3000:]
    token = made.stdout.strip().splitlines()[-1]
    before = _state(query)
    proc = _write(env, how, token, hold=True)
    deadline = time.monotonic() + 120
    line = ""
    while line.strip() != "INSIDE":
        line = proc.stdout.readline()
        assert line or proc.poll() is None, f"the write ended before its commit: {proc.stderr.read()[-3000:]}"
        assert time.monotonic() < deadline, "the write never reached its commit"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    after_kill = _state(query)
    assert after_kill == {**before, "totals_off": 0}, after_kill
    verified = _run(env, "audit", "verify", check=False)
    assert verified.returncode == 0, verified.stdout + verified.stderr

    again = _write(env, how, token, hold=False)
    out, err = again.communicate(timeout=120)
    assert f"STATUS {302 if how == 'page' else 200} " in out, out + err[-3000:]
    written = _state(query)
    assert (written["records"], written["acts"], written["totals_off"]) == (before["records"] + 1,
                                                                            before["acts"] + 1, 0)
    assert query(f"SELECT applications FROM intake_intakerecord WHERE day = '{DAY}'") == (77,)
    if how == "api":
        # The same request once more: answered as the first was, nothing written.
        out, err = _write(env, how, token, hold=False).communicate(timeout=120)
        assert "STATUS 200 true" in out, out + err[-3000:]
        assert _state(query) == written
    assert _run(env, "audit", "verify", check=False).returncode == 0
