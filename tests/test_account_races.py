"""Requests about accounts sent at once: the login lock and the address slow-down check no more passwords than their
limits allow, and one user name is created once, the others told so clearly, with no server error and nothing
half-written.

The bursts run in tests/account_races.py, in a process of its own against a database of its own (a SQLite file, or
a PostgreSQL database created for this module when the suite runs on PostgreSQL), each request in a thread with its
own connection: transactions at once cannot happen inside a test's transaction.
"""

from pathlib import Path

import pytest
from bursts import race_runner

from thidua.accounts.services import NAME_TAKEN, PLAN_CHANGED

REPO = Path(__file__).resolve().parent.parent
RUNNER = REPO / "tests" / "account_races.py"
MAX_FAILURES = 5
ADDRESS_FAILURES = 5
MAX_DELAY = 60

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def races(tmp_path_factory):
    """Return a function running a scenario of tests/account_races.py on this module's database (set up once)."""
    with race_runner(RUNNER, tmp_path_factory.mktemp("races"), "races",
                     THIDUA_LOGIN_MAX_FAILURES=str(MAX_FAILURES), THIDUA_LOGIN_ADDRESS_FAILURES=str(ADDRESS_FAILURES),
                     THIDUA_LOGIN_MAX_DELAY=str(MAX_DELAY)) as run:
        run("setup")
        yield run


def test_wrong_passwords_sent_at_once_check_no_more_than_the_limit(races):
    outcome = races("login_name", 24)
    assert outcome["statuses"] == [200] * 24
    assert outcome["checked"] == MAX_FAILURES, outcome
    assert outcome["locked"] == 24 - MAX_FAILURES


def test_guesses_sent_at_once_from_one_address_wait_as_if_sent_one_by_one(races):
    outcome = races("login_address", 24)
    assert outcome["statuses"] == [200] * 24
    failures = outcome["failures_at"]
    assert outcome["checked"] == len(failures) >= ADDRESS_FAILURES
    # Past the free failures, each one checked came at least its delay after the one before: 1 s, then doubling.
    late = [(i, failures[i] - failures[i - 1]) for i in range(ADDRESS_FAILURES, len(failures))
            if failures[i] - failures[i - 1] < min(MAX_DELAY, 2 ** (i - ADDRESS_FAILURES))]
    assert not late, (late, outcome)


def _one_success(outcome: dict, *refusals: str) -> None:
    """Assert that one request succeeded and every other one was refused with one of these messages."""
    assert sorted(outcome["statuses"]) == [200] + [400] * (len(outcome["statuses"]) - 1), outcome["statuses"]
    refused = [body for status, body in zip(outcome["statuses"], outcome["bodies"], strict=True) if status == 400]
    assert all(any(refusal in body for refusal in refusals) for body in refused), refused
    assert outcome["chain"]


def test_one_user_name_created_at_once_by_several_requests_is_created_once(races):
    outcome = races("create", 6)
    # Told by the form when the first one was written before it looked, else by the service.
    _one_success(outcome, NAME_TAKEN.format(username="moi-1"), "Tên đăng nhập này đã có.")
    assert (outcome["users"], outcome["created"]) == (1, 1)


def test_one_users_file_confirmed_at_once_by_several_requests_is_applied_once(races):
    outcome = races("import_confirm", 4)
    _one_success(outcome, PLAN_CHANGED)
    assert (outcome["users"], outcome["created"], outcome["acts"]) == (2, 2, 1)


def test_files_creating_the_same_user_confirmed_at_once_create_it_once(races):
    outcome = races("import_files", 4)
    _one_success(outcome, PLAN_CHANGED)
    assert (outcome["users"], outcome["created"], outcome["acts"]) == (1, 1, 1)
