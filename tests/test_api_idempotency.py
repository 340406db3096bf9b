"""A write sent again with the same Idempotency-Key answers as the first time and writes nothing: one act, whatever
happened to the day in between; the same key for another request is refused; a refused write leaves no key. The
race of requests with one key at once runs in tests/api_races.py, in a process and database of its own."""

import json
from pathlib import Path

import pytest
from bursts import race_runner
from django.test import Client

from thidua.accounts.models import Role
from thidua.accounts.services import user_create
from thidua.api.models import IdempotentRequest
from thidua.api.services import token_create
from thidua.audit.models import ChangeSet
from thidua.intake.models import IntakeRecord
from thidua.units.models import Unit

RUNNER = Path(__file__).resolve().parent / "api_races.py"
BASE = "/api/v1/campaigns/hau-giang-2021/intake"
DAY = "2021-03-10"


def rows(n=90, commune="31318"):
    return {"rows": [{"ngay": DAY, "ma_may": "M-VTH-01", "ma_xa": commune, "so_ho_so": n}]}


def secret_for(campaign, username="to-vth-api") -> str:
    user = user_create(username=username, password="Mat-khau-2021", role=Role.TEAM, actor="kiem-thu",
                       unit=Unit.objects.get(campaign=campaign, code="TO-VTH-1"))
    return token_create(user=user, name="máy tính bảng", actor="kiem-thu")[1]


def post(secret, body, key=None, client=None):
    headers = {"Authorization": f"Bearer {secret}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    response = (client or Client()).post(BASE, json.dumps(body), content_type="application/json", headers=headers)
    return response.status_code, response.json(), response.headers.get("Idempotent-Replayed")


def acts() -> int:
    return ChangeSet.objects.filter(changes__entity="thu_nhan").distinct().count()


@pytest.mark.django_db
def test_the_same_key_twice_is_one_act_and_the_same_answer(campaign):
    secret = secret_for(campaign)
    before = acts()
    first = post(secret, rows(90), key="lan-gui-1")
    assert first == (200, {"added": 1, "changed": 0, "unchanged": 0}, None)
    # Someone corrects the day meanwhile; the retry of the first request must not write 90 over it.
    assert post(secret, rows(95), key="sua-2")[0] == 200
    again = post(secret, rows(90), key="lan-gui-1")
    assert again == (200, {"added": 1, "changed": 0, "unchanged": 0}, "true")
    assert acts() == before + 2
    assert IntakeRecord.objects.get(day=DAY, machine__code="M-VTH-01", commune__code="31318").applications == 95


@pytest.mark.django_db
def test_a_key_used_for_another_request_is_refused_and_changes_nothing(campaign, snapshot):
    secret = secret_for(campaign)
    post(secret, rows(90), key="k-1")
    before = snapshot()
    status, body, _ = post(secret, rows(91), key="k-1")
    assert status == 422 and "đã được dùng cho một yêu cầu khác" in body["loi"]["thong_diep"]
    assert snapshot() == before


@pytest.mark.django_db
def test_a_refused_write_leaves_no_key_behind(campaign):
    secret = secret_for(campaign)
    status, _, _ = post(secret, rows(-5), key="k-2")
    assert status == 422 and not IdempotentRequest.objects.filter(key="k-2").exists()
    assert post(secret, rows(5), key="k-2")[:2] == (200, {"added": 1, "changed": 0, "unchanged": 0})


@pytest.mark.django_db
def test_keys_are_per_user(campaign):
    one, other = secret_for(campaign, "to-a"), secret_for(campaign, "to-b")
    assert post(one, rows(10), key="chung")[1]["added"] == 1
    assert post(other, rows(12), key="chung")[1] == {"added": 0, "changed": 1, "unchanged": 0}


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "x" * 201, "a\tb"])
def test_a_malformed_key_is_422(campaign, key):
    status, body, _ = post(secret_for(campaign), rows(10), key=key)
    assert status in (400, 422) and body["loi"]["ma"] in ("du_lieu_khong_hop_le", "ky_tu_khong_hop_le")
    assert not IntakeRecord.objects.filter(day=DAY, commune__code="31318").exists()


@pytest.fixture(scope="module")
def races(tmp_path_factory):
    """Return a function running a scenario of tests/api_races.py on this module's own database (set up once)."""
    with race_runner(RUNNER, tmp_path_factory.mktemp("api-races"), "api_races") as run:
        run("setup")
        yield run


@pytest.mark.slow
def test_requests_with_one_key_at_once_write_once(races):
    outcome = races("same_key", 6)
    assert [a[:2] for a in outcome["answers"]] == [[200, {"added": 1, "changed": 0, "unchanged": 0}]] * 6
    assert sorted(a[2] or "" for a in outcome["answers"]) == [""] + ["true"] * 5
    assert outcome["acts"] == 1 and outcome["records"] == 1 and outcome["chain"]


@pytest.mark.slow
def test_days_sent_at_once_are_each_written_once_and_their_totals_are_exact(races):
    outcome = races("many_teams_days", 8)
    assert outcome["statuses"] == [200] * 8 and outcome["totals_right"] and outcome["chain"]
