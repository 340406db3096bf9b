"""Who reads and writes what through the API: every role × every endpoint × their own unit, another unit, another
campaign — the same scopes as the pages (tests/test_permissions.py). A refused write changes nothing."""

import dataclasses
import datetime as dt
import json

import pytest
from conftest import CAMPAIGN_FILE

from thidua.accounts.models import Role
from thidua.accounts.services import user_create
from thidua.api.services import token_create
from thidua.campaigns.config import load_config
from thidua.campaigns.services import campaign_init
from thidua.intake.models import Assignment, DailyReport, Machine
from thidua.intake.services import report_save, report_submit, report_verify
from thidua.units.models import Kind, Unit

pytestmark = pytest.mark.django_db
DAY = dt.date(2021, 3, 10)

# (role, the unit the user is bound to): units of the base dataset (conftest).
PERSONAS = {
    "quan_tri": (Role.ADMIN, "PC06"),
    "pc06": (Role.PC06, "PC06"),
    "hoi_dong": (Role.COUNCIL, None),
    "huyen_vth": (Role.DISTRICT, "CAH-VTH"),
    "to_vth": (Role.TEAM, "TO-VTH-1"),
    "xem": (Role.VIEWER, "PC06"),
}
NAMES = tuple(PERSONAS)
# Where each call points: the persona's own team, a team of another district, a team of another campaign.
TARGETS = {"own": ("hau-giang-2021", "TO-VTH-1", "M-VTH-01", "31318"),
           "other_unit": ("hau-giang-2021", "TO-NBA-1", "M-NBA-01", "31340"),
           "other_campaign": ("dot-khac", "TO-KHAC", "M-KHAC", "31318")}

# The status each persona gets, in the order of PERSONAS: quan_tri, pc06, hoi_dong, huyen_vth, to_vth, xem.
# The council is bound to no unit: like the pages, it sees every campaign (and, read-only, writes in none).
EVERYONE = (200,) * 6
ONLY_UNBOUND = (404, 404, 200, 404, 404, 404)
READS = {
    ("campaign", "own"): EVERYONE,
    ("campaign", "other_campaign"): ONLY_UNBOUND,
    ("units", "own"): EVERYONE,
    ("units", "other_campaign"): ONLY_UNBOUND,
    ("unit", "own"): EVERYONE,
    ("unit", "other_unit"): (200, 200, 200, 404, 404, 200),
    ("unit", "other_campaign"): ONLY_UNBOUND,
    ("machines", "own"): EVERYONE,
    ("machines", "other_campaign"): ONLY_UNBOUND,
    ("intake", "own"): EVERYONE,
    ("intake", "other_campaign"): ONLY_UNBOUND,
    ("standings", "own"): EVERYONE,
    ("standings", "other_campaign"): ONLY_UNBOUND,
}
NOBODY_ELSEWHERE = (404, 404, 403, 404, 404, 404)
WRITES = {
    ("intake", "own"): (200, 200, 403, 200, 200, 403),
    ("intake", "other_unit"): (200, 200, 403, 403, 403, 403),
    ("intake", "other_campaign"): NOBODY_ELSEWHERE,
    ("submit", "own"): (200, 200, 403, 200, 200, 403),
    ("submit", "other_unit"): (200, 200, 403, 404, 404, 403),
    ("submit", "other_campaign"): NOBODY_ELSEWHERE,
    ("verify", "own"): (200, 200, 403, 200, 403, 403),
    ("verify", "other_unit"): (200, 200, 403, 404, 404, 403),
    ("verify", "other_campaign"): NOBODY_ELSEWHERE,
    ("reopen", "own"): (200, 200, 403, 403, 403, 403),
    ("reopen", "other_unit"): (200, 200, 403, 404, 404, 403),
    ("reopen", "other_campaign"): NOBODY_ELSEWHERE,
}
# What each persona finds in the lists of its campaign.
SEES_UNITS = {
    "quan_tri": {"PC06", "CAH-VTH", "CAH-NBA", "TO-VTH-1", "TO-NBA-1"},
    "pc06": {"PC06", "CAH-VTH", "CAH-NBA", "TO-VTH-1", "TO-NBA-1"},
    "hoi_dong": {"PC06", "CAH-VTH", "CAH-NBA", "TO-VTH-1", "TO-NBA-1"},
    "huyen_vth": {"CAH-VTH", "TO-VTH-1"},
    "to_vth": {"TO-VTH-1"},
    "xem": {"PC06", "CAH-VTH", "CAH-NBA", "TO-VTH-1", "TO-NBA-1"},
}


@pytest.fixture
def other_campaign(campaign):
    """Another campaign on the same territory, with one team holding one machine."""
    config = dataclasses.replace(load_config(CAMPAIGN_FILE), code="dot-khac", name="Đợt thi đua khác")
    other, _ = campaign_init(config=config, actor="kiem-thu")
    team = Unit.objects.create(campaign=other, code="TO-KHAC", name="Tổ khác", kind=Kind.TO)
    machine = Machine.objects.create(campaign=other, code="M-KHAC")
    Assignment.objects.create(machine=machine, team=team, start=other.start, end=other.deadline, daily_target=50)
    return other


@pytest.fixture
def as_persona(campaign, other_campaign, client):
    """Return a function giving a persona's token; it calls the API as them and returns (status, JSON)."""

    def login(name):
        role, unit = PERSONAS[name]
        user = user_create(username=name, password="Mat-khau-2021", role=role, actor="kiem-thu",
                           unit=Unit.objects.get(campaign=campaign, code=unit) if unit else None)
        secret = token_create(user=user, name="kiểm thử", actor="kiem-thu")[1]

        def call(method, path, body=None):
            headers = {"Authorization": f"Bearer {secret}"}
            if method == "get":
                response = client.get(f"/api/v1{path}", headers=headers)
            else:
                response = client.post(f"/api/v1{path}", json.dumps(body or {}), content_type="application/json",
                                       headers=headers)
            return response.status_code, response.json()

        return call

    return login


def read_path(endpoint: str, target: str) -> str:
    code, team, _, _ = TARGETS[target]
    return {"campaign": f"/campaigns/{code}", "units": f"/campaigns/{code}/units",
            "unit": f"/campaigns/{code}/units/{team}", "machines": f"/campaigns/{code}/machines",
            "intake": f"/campaigns/{code}/intake", "standings": f"/campaigns/{code}/standings"}[endpoint]


def prepare(endpoint: str, target: str) -> None:
    """Bring the target's day to the state the action needs: verify a sent day, reopen a verified one."""
    if endpoint not in ("verify", "reopen") or target == "other_campaign":
        return
    team = Unit.objects.get(code=TARGETS[target][1], campaign__code="hau-giang-2021")
    report = report_submit(campaign=team.campaign, team=team, day=DAY, actor="to")
    if endpoint == "reopen":
        report_verify(report=report, actor="huyen")


def write(call, endpoint: str, target: str):
    code, team, machine, commune = TARGETS[target]
    if endpoint == "intake":
        row = {"ngay": DAY.isoformat(), "ma_may": machine, "ma_xa": commune, "so_ho_so": 7}
        return call("post", f"/campaigns/{code}/intake", {"rows": [row]})
    return call("post", f"/campaigns/{code}/reports/{team}/{DAY.isoformat()}/{endpoint}", {"ly_do": "Kiểm thử"})


def state(snapshot) -> tuple:
    return snapshot(), list(DailyReport.objects.order_by("pk").values_list())


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("endpoint, target", list(READS))
def test_reads_follow_the_scope(name, endpoint, target, as_persona):
    status, body = as_persona(name)("get", read_path(endpoint, target))
    assert status == READS[endpoint, target][NAMES.index(name)], body
    if status == 404:
        assert body["loi"]["ma"] == "khong_tim_thay"


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("endpoint, target", list(WRITES))
def test_writes_follow_the_roles_and_the_scope(name, endpoint, target, as_persona, snapshot):
    call = as_persona(name)
    prepare(endpoint, target)
    before = state(snapshot)
    status, body = write(call, endpoint, target)
    expected = WRITES[endpoint, target][NAMES.index(name)]
    assert status == expected, body
    if expected == 200:
        assert state(snapshot) != before
    else:
        assert body["loi"]["ma"] == {403: "khong_co_quyen", 404: "khong_tim_thay"}[expected]
        assert state(snapshot) == before


@pytest.mark.parametrize("name", NAMES)
def test_lists_hold_only_what_the_scope_sees(name, as_persona, campaign):
    call = as_persona(name)
    report_save(campaign=campaign, team=Unit.objects.get(campaign=campaign, code="TO-NBA-1"), day=DAY,
                rows=[("M-NBA-02", "31341", 4)], actor="to-nba")
    units = {u["ma_don_vi"] for u in call("get", "/campaigns/hau-giang-2021/units")[1]}
    assert units == SEES_UNITS[name]
    machines = {m["ma_may"] for m in call("get", "/campaigns/hau-giang-2021/machines")[1]}
    teams_of_machines = {a["ma_to"] for m in call("get", "/campaigns/hau-giang-2021/machines")[1]
                         for a in m["assignments"]}
    intake_teams = {r["ma_to"] for r in call("get", "/campaigns/hau-giang-2021/intake")[1]["items"]}
    if "TO-NBA-1" in SEES_UNITS[name]:
        assert machines == {"M-VTH-01", "M-NBA-01", "M-NBA-02"} and intake_teams == {"TO-VTH-1", "TO-NBA-1"}
    else:
        assert machines == {"M-VTH-01"} and teams_of_machines == {"TO-VTH-1"} and intake_teams == {"TO-VTH-1"}


@pytest.mark.parametrize("name", NAMES)
def test_every_role_of_the_campaign_reads_all_ranks(name, as_persona):
    body = as_persona(name)("get", "/campaigns/hau-giang-2021/standings")[1]
    assert {s["unit"] for s in body["groups"][0]["standings"]} == {"CAH-VTH", "CAH-NBA"}
    assert {s["unit"] for s in body["teams"]} == {"TO-VTH-1", "TO-NBA-1"}


@pytest.mark.parametrize("name", ["huyen_vth", "to_vth"])
def test_a_unit_above_the_scope_is_not_found(name, as_persona):
    call = as_persona(name)
    assert call("get", "/campaigns/hau-giang-2021/units/PC06")[0] == 404
    parent = call("get", "/campaigns/hau-giang-2021/units/TO-VTH-1")[1]["ma_don_vi_cap_tren"]
    assert parent == ("CAH-VTH" if name == "huyen_vth" else None)


def test_a_user_without_a_role_reads_nothing(client, campaign, django_user_model):
    user = django_user_model.objects.create_user(username="khach", password="x")
    headers = {"Authorization": f"Bearer {token_create(user=user, name='x', actor='kiem-thu')[1]}"}
    assert client.get("/api/v1/campaigns", headers=headers).json() == []
    for path in ("", "/units", "/intake", "/standings"):
        assert client.get(f"/api/v1/campaigns/hau-giang-2021{path}", headers=headers).status_code == 404
