"""Nominations sent at once take the quota's places once each: two people for the last place, one wins and the other
is told in Vietnamese; more nominations than places at once, exactly the places are taken; one officer nominated by
two districts at once, once. Nothing half-written, no server error, the history's chain whole.

The bursts run in tests/nomination_races.py, in a process of its own against a database of its own (a SQLite file,
or a PostgreSQL database created for this module when the suite runs on PostgreSQL), each request in a thread with
its own connection: transactions at once cannot happen inside a test's transaction.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

REPO = Path(__file__).resolve().parent.parent
RUNNER = REPO / "tests" / "nomination_races.py"
QUOTA_FULL = "Đã dùng hết"
ONCE = "đã được đề nghị trong đợt thi đua này"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def races(tmp_path_factory):
    """Return a function running a scenario of tests/nomination_races.py on this module's database (set up once)."""
    folder = tmp_path_factory.mktemp("nomination-races")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"THIDUA_DATA_DIR": str(folder / "data")}
    db = settings.DATABASES["default"]
    postgres = db["ENGINE"].endswith("postgresql")
    if postgres:
        import psycopg

        name = f"{db['NAME']}_nomination_races"
        admin = dict(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"], dbname="postgres",
                     autocommit=True)
        with psycopg.connect(**admin) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {name}")
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{admin['host']}:{admin['port']}/{name}"
    else:
        env["DATABASE_URL"] = f"sqlite:///{folder / 'races.sqlite3'}"

    def run(scenario: str, *args: int) -> dict:
        done = subprocess.run([sys.executable, str(RUNNER), scenario, *map(str, args)], env=env, cwd=folder,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    assert run("setup")["status"] == "scored"
    yield run
    if postgres:
        with psycopg.connect(**admin) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_two_people_for_the_last_place_one_wins_the_other_is_told(races):
    outcome = races("last_place")
    won = [s for s in outcome["statuses"] if s in (200, 302)]
    assert len(won) == 1, outcome["statuses"]
    assert sorted(outcome["statuses"]) in ([200, 400], [302, 400]), outcome["statuses"]
    loser = outcome["bodies"][outcome["statuses"].index(400)]
    assert QUOTA_FULL in loser and "suất đề nghị cá nhân cấp huyện" in loser
    assert len(outcome["held"]) == 1 and outcome["held"][0][0] == "CAH-NBA" and outcome["held"][0][2] == 1
    assert outcome["chain"]


def test_more_nominations_at_once_than_places_take_exactly_the_places(races):
    outcome = races("province", 6)
    assert sorted(outcome["statuses"]).count(400) == 1, outcome["statuses"]
    assert sorted(place for _, _, place in outcome["held"]) == [1, 2, 3, 4, 5]
    assert outcome["chain"]


def test_one_officer_nominated_by_two_districts_at_once_is_nominated_once(races):
    outcome = races("same_officer")
    assert sorted(outcome["statuses"]) == [302, 400], outcome["statuses"]
    assert ONCE in outcome["bodies"][outcome["statuses"].index(400)]
    assert [officer for _, officer, _ in outcome["held"]] == ["CB-007"]
    assert outcome["chain"]


def test_a_file_and_the_page_at_once_never_exceed_the_quota(races):
    outcome = races("file_and_page")
    file_status, page_status = outcome["statuses"]
    held = sorted(officer for _, officer, _ in outcome["held"])
    assert sorted(place for _, _, place in outcome["held"]) in ([1, 2], [1]), outcome["held"]
    if file_status == 302:  # the file came first: both its rows hold the places, the page is refused
        assert held == ["CB-001", "CB-004"] and page_status == 400
        assert QUOTA_FULL in outcome["bodies"][1]
    else:  # the page came first: the file is refused whole, its row beyond the quota named
        assert file_status == 400 and page_status == 302 and held == ["CB-005"]
        assert "Dòng 3:" in outcome["bodies"][0] and QUOTA_FULL in outcome["bodies"][0]
    assert outcome["chain"]
