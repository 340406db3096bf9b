"""Nominations sent at once take the quota's places once each: two people for the last place, one wins and the other
is told in Vietnamese; more nominations than places at once, exactly the places are taken; one officer nominated by
two districts at once, once. Nothing half-written, no server error, the history's chain whole.

The bursts run in tests/nomination_races.py, in a process of its own against a database of its own (a SQLite file,
or a PostgreSQL database created for this module when the suite runs on PostgreSQL), each request in a thread with
its own connection: transactions at once cannot happen inside a test's transaction.
"""

from pathlib import Path

import pytest
from bursts import race_runner

REPO = Path(__file__).resolve().parent.parent
RUNNER = REPO / "tests" / "nomination_races.py"
QUOTA_FULL = "Đã dùng hết"
ONCE = "đã được đề nghị trong đợt thi đua này"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def races(tmp_path_factory):
    """Return a function running a scenario of tests/nomination_races.py on this module's database (set up once)."""
    with race_runner(RUNNER, tmp_path_factory.mktemp("nomination-races"), "nomination_races") as run:
        assert run("setup")["status"] == "scored"
        yield run


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
