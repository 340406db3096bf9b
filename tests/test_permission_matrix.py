"""The permission matrix of the site: every role × every page and action × their own unit and another's.

Own unit: TO-VTH-1 (a team of the district CAH-VTH); another unit: TO-NBA-1 (a team of the other district).
404 means "not in your scope" (the page does not exist for you), 403 "your role may not do this".
The API has its own matrix (tests/test_api_permissions.py); the user management pages theirs
(tests/test_user_pages.py).
"""

import datetime as dt

import pytest
from django.urls import reverse

from thidua.accounts.models import Role
from thidua.accounts.services import user_create, user_password_reset, user_update
from thidua.api.services import token_create
from thidua.audit.models import ChangeSet
from thidua.intake.services import report_save, report_submit
from thidua.units.models import Unit

pytestmark = pytest.mark.django_db
DAY = "2021-03-10"
C = "hau-giang-2021"
PERSONAS = {
    "quan_tri": (Role.ADMIN, "PC06"),
    "pc06": (Role.PC06, "PC06"),
    "hoi_dong": (Role.COUNCIL, None),
    "huyen": (Role.DISTRICT, "CAH-VTH"),
    "to": (Role.TEAM, "TO-VTH-1"),
    "xem": (Role.VIEWER, "PC06"),
}
ORDER = list(PERSONAS)
# Bound to no unit, beside the council: they reach every campaign (the account histories' matrix below).
UNBOUND = {
    "quan_tri_chung": (Role.ADMIN, None),
    "xem_chung": (Role.VIEWER, None),
}


def cell(team):
    machine, commune = {"TO-VTH-1": ("M-VTH-01", "31318"), "TO-NBA-1": ("M-NBA-01", "31340")}[team]
    return f"n-{machine}-{commune}"


def machine(team):
    return {"TO-VTH-1": "M-VTH-01", "TO-NBA-1": "M-NBA-01"}[team]


def district(team):
    return {"TO-VTH-1": "CAH-VTH", "TO-NBA-1": "CAH-NBA"}[team]


def commune(team):
    return {"TO-VTH-1": "31318", "TO-NBA-1": "31340"}[team]


def intake_key(team):
    machine, commune = {"TO-VTH-1": ("M-VTH-01", "31318"), "TO-NBA-1": ("M-NBA-01", "31340")}[team]
    return f"{DAY}|{machine}|{commune}"


# (name, method, url(team) or url(), data(team) or None, expected status per persona for own team, for another)
# For pages without a unit, "own" and "other" are the same request.
MATRIX = [
    ("home", "get", lambda t: reverse("home"), None,
     [200, 200, 200, 200, 200, 200], [200, 200, 200, 200, 200, 200]),
    ("take a step of the lifecycle", "post", lambda t: reverse("campaign_step", args=[C]),
     lambda t: {"to": "running", "reason": "Phát động"},
     [302, 302, 403, 403, 403, 403], [302, 302, 403, 403, 403, 403]),
    ("approve the scale", "post", lambda t: reverse("scale_approve", args=[C]), lambda t: {"reason": "Duyệt"},
     [302, 403, 302, 403, 403, 403], [302, 403, 302, 403, 403, 403]),
    ("ties before scoring", "get", lambda t: reverse("ties", args=[C]), None,
     [404, 404, 404, 404, 404, 404], [404, 404, 404, 404, 404, 404]),
    ("rewards before scoring", "get", lambda t: reverse("rewards", args=[C]), None,
     [404, 404, 404, 404, 404, 404], [404, 404, 404, 404, 404, 404]),
    ("account", "get", lambda t: reverse("account"), None,
     [200, 200, 200, 200, 200, 200], [200, 200, 200, 200, 200, 200]),
    ("campaign", "get", lambda t: reverse("campaign_detail", args=[C]), None,
     [200, 200, 200, 200, 200, 200], [200, 200, 200, 200, 200, 200]),
    ("unit", "get", lambda t: reverse("unit_detail", args=[C, t]), None,
     [200, 200, 200, 200, 200, 200], [200, 200, 200, 404, 404, 200]),
    # issue 11: charts — the dashboards of a unit, their workbooks, one machine (the team's own)
    ("dashboard", "get", lambda t: reverse("dashboard", args=[C]), None,
     [200, 200, 200, 200, 200, 200], [200, 200, 200, 200, 200, 200]),
    ("dashboard of a unit", "get", lambda t: reverse("dashboard", args=[C]) + f"?don_vi={t}", None,
     [200, 200, 200, 200, 200, 200], [200, 200, 200, 404, 404, 200]),
    ("dashboard of a machine", "get", lambda t: reverse("dashboard", args=[C]) + f"?may={machine(t)}", None,
     [200, 200, 200, 200, 200, 200], [200, 200, 200, 404, 404, 200]),
    ("dashboard's cumulative workbook", "get",
     lambda t: reverse("dashboard_progress_xlsx", args=[C]) + f"?don_vi={district(t)}", None,
     [200, 200, 200, 200, 404, 200], [200, 200, 200, 404, 404, 200]),
    ("dashboard's machines workbook", "get", lambda t: reverse("dashboard_machines_xlsx", args=[C]) + f"?don_vi={t}",
     None, [200, 200, 200, 200, 200, 200], [200, 200, 200, 404, 404, 200]),
    ("standings", "get", lambda t: reverse("standings", args=[C]), None,
     [200, 200, 200, 200, 200, 200], [200, 200, 200, 200, 200, 200]),
    # issue 11: forecast (every competitor for everyone, as the standings; teams and communes within scope:
    # tests/test_forecast_pages.py)
    ("forecast", "get", lambda t: reverse("forecast", args=[C]) + f"?ngay={DAY}", None,
     [200, 200, 200, 200, 200, 200], [200, 200, 200, 200, 200, 200]),
    ("forecast workbook", "get", lambda t: reverse("forecast_xlsx", args=[C]) + f"?ngay={DAY}", None,
     [200, 200, 200, 200, 200, 200], [200, 200, 200, 200, 200, 200]),
    # issue 11: board — whoever reads the standings reads the board and the replay (the board's teams not reported
    # keep to one's scope: tests/test_board.py)
    ("board", "get", lambda t: reverse("board", args=[C]), None,
     [200, 200, 200, 200, 200, 200], [200, 200, 200, 200, 200, 200]),
    ("board's poll", "get", lambda t: reverse("board_live", args=[C]), None,
     [200, 200, 200, 200, 200, 200], [200, 200, 200, 200, 200, 200]),
    ("replay", "get", lambda t: reverse("replay", args=[C]) + f"?ngay={DAY}", None,
     [200, 200, 200, 200, 200, 200], [200, 200, 200, 200, 200, 200]),
    ("a day of the replay", "get", lambda t: reverse("replay_day", args=[C]) + f"?ngay={DAY}", None,
     [200, 200, 200, 200, 200, 200], [200, 200, 200, 200, 200, 200]),
    # issue 10: nominations (their full matrix, with nominations in place: tests/test_nominations.py)
    ("nominations", "get", lambda t: reverse("nominations", args=[C]), None,
     [200, 200, 200, 200, 403, 200], [200, 200, 200, 200, 403, 200]),
    ("standing detail", "get", lambda t: reverse("standing_detail", args=[C, t]), None,
     [200, 200, 200, 200, 200, 200], [200, 200, 200, 404, 404, 200]),
    ("reports of a day", "get", lambda t: reverse("reports", args=[C]) + f"?ngay={DAY}", None,
     [200, 200, 200, 200, 200, 200], [200, 200, 200, 200, 200, 200]),
    ("a team's day", "get", lambda t: reverse("report_day", args=[C, t, DAY]), None,
     [200, 200, 200, 200, 200, 200], [200, 200, 200, 404, 404, 200]),
    ("enter a day", "post", lambda t: reverse("report_day", args=[C, t, DAY]),
     lambda t: {cell(t): "7", "action": "save"},
     [302, 302, 403, 302, 302, 403], [302, 302, 403, 404, 404, 403]),
    ("check a field", "post", lambda t: reverse("report_cell", args=[C, t, DAY]),
     lambda t: {"o": cell(t), cell(t): "7"},
     [200, 200, 403, 200, 200, 403], [200, 200, 403, 404, 404, 403]),
    ("verify a day", "post", lambda t: reverse("report_day", args=[C, t, "2021-03-09"]),
     lambda t: {"action": "verify"},
     [302, 302, 403, 302, 403, 403], [302, 302, 403, 404, 404, 403]),
    ("verify all: the confirmation", "get",
     lambda t: reverse("reports_verify", args=[C]) + f"?ngay=2021-03-09&huyen={district(t)}", None,
     [200, 200, 403, 200, 403, 403], [200, 200, 403, 404, 403, 403]),
    ("verify all", "post", lambda t: reverse("reports_verify", args=[C]),
     lambda t: {"ngay": "2021-03-09", "huyen": district(t), "to": t},
     [302, 302, 403, 302, 403, 403], [302, 302, 403, 404, 403, 403]),
    ("day summary", "get", lambda t: reverse("daily_summary", args=[C]) + f"?ngay={DAY}&huyen={district(t)}", None,
     [200, 200, 200, 200, 403, 200], [200, 200, 200, 404, 403, 200]),
    ("day summary workbook", "get",
     lambda t: reverse("daily_summary_xlsx", args=[C]) + f"?ngay={DAY}&huyen={district(t)}", None,
     [200, 200, 200, 200, 403, 200], [200, 200, 200, 404, 403, 200]),
    ("history of a day", "get", lambda t: reverse("team_day_history", args=[C, t, DAY]), None,
     [200, 200, 200, 200, 200, 200], [200, 200, 200, 404, 404, 200]),
    ("history of a count", "get",
     lambda t: reverse("record_history", args=[C]) + f"?doi_tuong=thu_nhan&khoa={intake_key(t)}", None,
     [200, 200, 200, 200, 200, 200], [200, 200, 200, 404, 404, 200]),
    ("history of a unit", "get",
     lambda t: reverse("record_history", args=[C]) + f"?doi_tuong=don_vi&khoa={t}", None,
     [200, 200, 200, 200, 200, 200], [200, 200, 200, 404, 404, 200]),
    ("history of a machine", "get",
     lambda t: reverse("record_history", args=[C]) + f"?doi_tuong=may&khoa={cell(t).split('-', 1)[1]}", None,
     [200, 200, 200, 404, 404, 404], [200, 200, 200, 404, 404, 404]),
    ("import page", "get", lambda t: reverse("import_upload", args=[C]), None,
     [200, 200, 403, 200, 200, 403], [200, 200, 403, 200, 200, 403]),
    ("import template", "get", lambda t: reverse("import_template", args=[C]), None,
     [200, 200, 403, 200, 200, 403], [200, 200, 403, 200, 200, 403]),
    ("confirm an import", "post", lambda t: reverse("import_confirm", args=[C]), lambda t: {"sha256": "0" * 64},
     [400, 400, 403, 400, 400, 403], [400, 400, 403, 400, 400, 403]),
    ("audit page", "get", lambda t: reverse("audit_list"), None,
     [200, 200, 200, 403, 403, 403], [200, 200, 200, 403, 403, 403]),
    ("check the chain", "post", lambda t: reverse("audit_verify"), lambda t: {},
     [302, 302, 403, 403, 403, 403], [302, 302, 403, 403, 403, 403]),
    # issue 11: coverage — the communes' coverage (a commune's own page, a unit's), machine use, their workbooks,
    # the teams without today's report
    ("coverage", "get", lambda t: reverse("coverage", args=[C]) + f"?ngay={DAY}", None,
     [200, 200, 200, 200, 200, 200], [200, 200, 200, 200, 200, 200]),
    ("coverage of a commune", "get", lambda t: reverse("coverage", args=[C]) + f"?ngay={DAY}&xa={commune(t)}", None,
     [200, 200, 200, 200, 200, 200], [200, 200, 200, 404, 404, 200]),
    ("coverage of a unit", "get", lambda t: reverse("coverage", args=[C]) + f"?ngay={DAY}&don_vi={t}", None,
     [200, 200, 200, 200, 200, 200], [200, 200, 200, 404, 404, 200]),
    ("coverage workbook", "get", lambda t: reverse("coverage_xlsx", args=[C]) + f"?ngay={DAY}&don_vi={t}", None,
     [200, 200, 200, 200, 200, 200], [200, 200, 200, 404, 404, 200]),
    ("machine use", "get", lambda t: reverse("machine_use", args=[C]) + f"?ngay={DAY}&don_vi={t}", None,
     [200, 200, 200, 200, 200, 200], [200, 200, 200, 404, 404, 200]),
    ("machine use workbook", "get", lambda t: reverse("machine_use_xlsx", args=[C]) + f"?ngay={DAY}&don_vi={t}",
     None, [200, 200, 200, 200, 200, 200], [200, 200, 200, 404, 404, 200]),
    ("teams without a report", "get", lambda t: reverse("not_reported", args=[C]) + f"?ngay={DAY}", None,
     [200, 200, 200, 200, 200, 200], [200, 200, 200, 200, 200, 200]),
    # issue 10: docx — the documents (a running campaign: the offices see why there is none yet; the scored
    # campaign's matrix of every download is in tests/test_documents.py)
    ("documents page", "get", lambda t: reverse("documents", args=[C]), None,
     [200, 200, 200, 403, 403, 403], [200, 200, 200, 403, 403, 403]),
    ("a document's draft", "get", lambda t: reverse("document_draft", args=[C, "to_trinh"]), None,
     [302, 302, 302, 403, 403, 403], [302, 302, 302, 403, 403, 403]),
    ("issue a document", "post", lambda t: reverse("document_issue", args=[C]),
     lambda t: {"kind": "to_trinh", "reason": "Thử"},
     [302, 302, 302, 403, 403, 403], [302, 302, 302, 403, 403, 403]),
    ("an issued document", "get", lambda t: reverse("document_issued", args=[C, 1]), None,
     [404, 404, 404, 403, 403, 403], [404, 404, 404, 403, 403, 403]),
    # issue 11: planner — PC06 and admins plan and apply; the council and viewers read; districts and teams refused
    # (the campaign is a draft here: applying is refused with a message, 400)
    ("support planner", "get", lambda t: reverse("support_plan", args=[C]), None,
     [200, 200, 200, 403, 403, 200], [200, 200, 200, 403, 403, 200]),
    ("apply a support plan", "post", lambda t: reverse("support_apply", args=[C]),
     lambda t: {"ngay": DAY, "ly_do": "Giao ban", "xac_nhan": "1"},
     [400, 400, 403, 403, 403, 403], [400, 400, 403, 403, 403, 403]),
    ("end a deployment early", "post", lambda t: reverse("support_end", args=[C, 999999]),
     lambda t: {"ly_do": "Xong"},
     [404, 404, 403, 403, 403, 403], [404, 404, 403, 403, 403, 403]),
]


@pytest.fixture
def world(campaign):
    """Both teams have a submitted day (to verify) and a count of DAY (to read the history of)."""
    for code, machine, commune in (("TO-VTH-1", "M-VTH-01", "31318"), ("TO-NBA-1", "M-NBA-01", "31340")):
        team = Unit.objects.get(campaign=campaign, code=code)
        report_save(campaign=campaign, team=team, day=dt.date(2021, 3, 9), rows=[(machine, commune, 5)], actor="x")
        report_submit(campaign=campaign, team=team, day=dt.date(2021, 3, 9), actor="x")
        report_save(campaign=campaign, team=team, day=dt.date(2021, 3, 10), rows=[(machine, commune, 6)], actor="x")
    return campaign


@pytest.fixture
def as_persona(world, client):
    def login(name):
        role, unit = {**PERSONAS, **UNBOUND}[name]
        user = user_create(username=f"m-{name}", password="Mat-khau-2021", role=role, actor="kiem-thu",
                           unit=Unit.objects.get(campaign=world, code=unit) if unit else None)
        client.force_login(user)
        return client
    return login


CASES = [(row[0], who, where) for row in MATRIX for who in PERSONAS for where in ("own", "other")]


@pytest.mark.parametrize("page, who, where", CASES, ids=[f"{p}-{w}-{o}" for p, w, o in CASES])
def test_matrix(page, who, where, as_persona):
    name, method, url, data, own, other = next(row for row in MATRIX if row[0] == page)
    team = "TO-VTH-1" if where == "own" else "TO-NBA-1"
    client = as_persona(who)
    response = client.get(url(team)) if method == "get" else client.post(url(team), data(team))
    expected = (own if where == "own" else other)[ORDER.index(who)]
    assert response.status_code == expected, (name, who, where, response.status_code)


@pytest.mark.parametrize("row", MATRIX, ids=[row[0] for row in MATRIX])
def test_nobody_signed_out_gets_in(row, world, client):
    _name, method, url, data, *_ = row
    response = client.get(url("TO-VTH-1")) if method == "get" else client.post(url("TO-VTH-1"), data("TO-VTH-1"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# Pages for everyone, signed in or not: their status, the same whoever asks.
PUBLIC = [
    # issue 12: deployment — the health endpoint (tests/test_deployment.py)
    ("health", lambda: reverse("health"), 200),
]


@pytest.mark.parametrize("name, url, expected", PUBLIC, ids=[row[0] for row in PUBLIC])
def test_public_pages_answer_everyone_alike(name, url, expected, world, client, as_persona):
    assert client.get(url()).status_code == expected, "signed-out"
    for who in ORDER:
        assert as_persona(who).get(url()).status_code == expected, who


def test_an_act_of_the_history_is_opened_only_by_the_audit_roles(as_persona):
    act = ChangeSet.objects.order_by("-id").first()
    for who, expected in zip(ORDER, [200, 200, 200, 403, 403, 403], strict=True):
        assert as_persona(who).get(reverse("audit_act", args=[act.id])).status_code == expected, who


@pytest.mark.parametrize("who", ["huyen", "to"])
def test_scoped_lists_show_nothing_of_another_district(who, as_persona):
    client = as_persona(who)
    day = client.get(reverse("reports", args=[C]) + f"?ngay={DAY}").content.decode()
    home = client.get(reverse("home")).content.decode()
    bodies = [day, home]
    if who == "huyen":
        bodies.append(client.get(reverse("daily_summary", args=[C]) + f"?ngay={DAY}").content.decode())
    for body in bodies:
        assert "TO-NBA-1" not in body and "Ngã Bảy" not in body


def test_an_act_of_no_campaign_is_opened_only_by_the_audit_roles_bound_to_no_unit(as_persona):
    """An act about an account bound to no unit is of no campaign: the administrator and PC06 bound to the
    campaign's unit do not find it (404), the council bound to no unit reads it."""
    unbound = user_create(username="khong-don-vi", password="Mat-khau-2021", role=Role.VIEWER, actor="kiem-thu")
    act = ChangeSet.objects.get(changes__key=unbound.username)
    assert act.campaign_id is None
    for who, expected in zip(ORDER, [404, 404, 200, 403, 403, 403], strict=True):
        client = as_persona(who)
        assert client.get(reverse("audit_act", args=[act.id])).status_code == expected, who
        listed = client.get(reverse("audit_list"), {"doi_tuong": "user"})
        if expected != 403:
            assert (act in listed.context["page"]) == (expected == 200), who


# The history of an account or an API key (role, unit, password resets, the hash of a key's secret) is the audit's
# and the user administration's: read by the audit roles and whoever manages users — an administrator bound to a
# unit only of the accounts they manage — and by no viewer, district or team, whatever their scope (404).
# Accounts: "own" bound to the own team, "other" to the other district's team, "unbound" bound to no unit (moved out
# of the campaign, so its history has an act of the campaign).
ACCOUNT_READERS = {
    "own": {"quan_tri", "pc06", "hoi_dong", "quan_tri_chung"},
    "other": {"quan_tri", "pc06", "hoi_dong", "quan_tri_chung"},
    "unbound": {"pc06", "hoi_dong", "quan_tri_chung"},
}
ACCOUNT_CASES = [(entity, who, whose) for entity in ("user", "api_token") for who in [*PERSONAS, *UNBOUND]
                 for whose in ACCOUNT_READERS]


@pytest.fixture
def accounts(world):
    """Return, per kind of account record and whose, the key of a record with a history in the campaign."""
    keys = {"user": {}, "api_token": {}}
    for whose, team in (("own", "TO-VTH-1"), ("other", "TO-NBA-1"), ("unbound", "TO-VTH-1")):
        user = user_create(username=f"tk-{whose}", password="Mat-khau-2021", role=Role.VIEWER, actor="kiem-thu",
                           unit=Unit.objects.get(campaign=world, code=team))
        token, _secret = token_create(user=user, name="Bảng điều khiển", actor="kiem-thu")
        user_password_reset(user=user, actor="kiem-thu", reason="Quên mật khẩu")
        if whose == "unbound":
            user_update(user=user, full_name="", role=Role.VIEWER, unit=None, actor="kiem-thu", reason="Toàn tỉnh")
        keys["user"][whose], keys["api_token"][whose] = user.username, token.prefix
    return keys


@pytest.mark.parametrize("entity, who, whose", ACCOUNT_CASES, ids=[f"{e}-{w}-{o}" for e, w, o in ACCOUNT_CASES])
def test_the_history_of_an_account_is_read_by_the_audit_and_its_administrators(entity, who, whose, accounts,
                                                                                as_persona):
    url = reverse("record_history", args=[C]) + f"?doi_tuong={entity}&khoa={accounts[entity][whose]}"
    expected = 200 if who in ACCOUNT_READERS[whose] else 404
    assert as_persona(who).get(url).status_code == expected, (entity, who, whose)


def test_a_viewer_bound_to_no_unit_reads_no_password_reset_nor_key_hash(accounts, as_persona):
    client = as_persona("xem_chung")
    user = client.get(reverse("record_history", args=[C]), {"doi_tuong": "user", "khoa": "tk-own"})
    token = client.get(reverse("record_history", args=[C]), {"doi_tuong": "api_token",
                                                             "khoa": accounts["api_token"]["own"]})
    assert user.status_code == token.status_code == 404
    assert "Quên mật khẩu" not in user.content.decode() and "tk-own" not in token.content.decode()
