"""The operations room's board: the live standings, the province's totals and the teams whose report of today is
missing; its poll answers 204 (one query past the sign-in) while nothing changed, the board anew after an act.

The base dataset (tests/conftest.py), on the simulated today 02/03/2021: Vị Thanh (CAH-VTH, quota 120 × 127 =
15.240) has 125 + 60 = 185 applications, Ngã Bảy (CAH-NBA, quota 90 × 92 + 9.000 = 17.280) 75; both teams hold a
machine that day and neither has sent its report.
"""

import dataclasses
import datetime as dt
import re
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from thidua.accounts.models import Role
from thidua.accounts.scopes import opens_campaign, scope_of
from thidua.accounts.services import user_create
from thidua.campaigns.services import campaign_init
from thidua.intake.services import report_save, report_submit
from thidua.standings.selectors import forget_standings
from thidua.units.models import Unit

pytestmark = pytest.mark.django_db

C = "hau-giang-2021"
TODAY = dt.date(2021, 3, 2)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setenv("THIDUA_SIMULATED_TODAY", TODAY.isoformat())


def version_of(body: str) -> str:
    """Return the version of the data a board page holds: the one its poll sends back."""
    found = re.search(r'hx-get="([^"]*/bang-tin/cap-nhat/\?phien_ban=[^"]*)"', body)
    assert found, "the board does not poll"
    return unescape(found[1]).split("phien_ban=", 1)[1]


def live_url(version: str) -> str:
    return reverse("board_live", args=[C]) + "?" + f"phien_ban={version}"


def team(code: str) -> Unit:
    return Unit.objects.get(code=code)


def test_the_board_shows_the_standings_totals_and_missing_teams(login, campaign):
    body = login(Role.PC06, "PC06").get(reverse("board", args=[C])).content.decode()
    rows = re.findall(r'<td class="num rank">(\d+)</td>\s*<td class="name">([^<]+)', body)
    assert rows == [("1", "Công an thành phố Vị Thanh"), ("2", "Công an thành phố Ngã Bảy")]
    assert "185 <span class=\"of\">/ 15.240</span>" in body and "75 <span class=\"of\">/ 17.280</span>" in body
    # The province: 60 + 75 today, 260 in all, of 15.240 + 17.280 = 32.520 (0,80%).
    totals = re.findall(r"<dd>([^<]+)", body)
    assert totals[:4] == ["135", "260", "32.520", "0,80% "]
    assert "Chưa gửi báo cáo hôm nay: 2/2 tổ" in body
    assert "Tổ cấp CCCD lưu động số 1 Vị Thanh" in body and "Tổ cấp CCCD lưu động số 1 Ngã Bảy" in body
    assert 'class="board"' in body and "Hôm nay mô phỏng: 02/03/2021" in body


def test_a_team_that_sends_its_day_leaves_the_list(login, campaign):
    report_submit(campaign=campaign, team=team("TO-VTH-1"), day=TODAY, actor="to")
    body = login(Role.PC06, "PC06").get(reverse("board", args=[C])).content.decode()
    assert "Chưa gửi báo cáo hôm nay: 1/2 tổ" in body
    assert "Tổ cấp CCCD lưu động số 1 Vị Thanh" not in body and "Tổ cấp CCCD lưu động số 1 Ngã Bảy" in body


def test_a_district_sees_every_competitor_but_only_its_own_missing_teams(login, campaign):
    body = login(Role.DISTRICT, "CAH-VTH").get(reverse("board", args=[C])).content.decode()
    assert "Công an thành phố Ngã Bảy" in body  # the standings are everyone's, as on the standings page
    assert "Chưa gửi báo cáo hôm nay: 1/1 tổ" in body
    assert "Tổ cấp CCCD lưu động số 1 Ngã Bảy" not in body


def test_no_missing_list_after_the_deadline(login, campaign, monkeypatch):
    monkeypatch.setenv("THIDUA_SIMULATED_TODAY", "2021-07-02")
    body = login(Role.PC06, "PC06").get(reverse("board", args=[C])).content.decode()
    assert "Chưa gửi báo cáo" not in body and "Thu nhận ngày 01/07/2021" in body


def test_the_poll_answers_204_until_an_act_then_the_board_anew(login, campaign):
    client = login(Role.PC06, "PC06")
    version = version_of(client.get(reverse("board", args=[C])).content.decode())
    unchanged = client.get(live_url(version))
    assert unchanged.status_code == 204 and unchanged.content == b""
    assert unchanged["Cache-Control"] == "no-store"

    # Ngã Bảy's team corrects its day: 1.000 instead of 75 (an act of the history).
    report_save(campaign=campaign, team=team("TO-NBA-1"), day=TODAY, rows=[("M-NBA-01", "31340", 1000)], actor="to")
    changed = client.get(live_url(version))
    assert changed.status_code == 200
    body = changed.content.decode()
    assert "75 <span" not in body and "1.000 <span class=\"of\">/ 17.280</span>" in body
    rows = re.findall(r'<td class="num rank">(\d+)</td>\s*<td class="name">([^<]+)', body)
    assert rows == [("1", "Công an thành phố Ngã Bảy"), ("2", "Công an thành phố Vị Thanh")]
    newer = version_of(body)
    assert newer != version
    assert client.get(live_url(newer)).status_code == 204


def test_the_poll_answers_the_board_when_the_day_changes(login, campaign, monkeypatch):
    client = login(Role.PC06, "PC06")
    version = version_of(client.get(reverse("board", args=[C])).content.decode())
    monkeypatch.setenv("THIDUA_SIMULATED_TODAY", "2021-03-03")
    assert client.get(live_url(version)).status_code == 200


def test_without_a_version_the_poll_answers_the_board(login, campaign):
    response = login(Role.PC06, "PC06").get(reverse("board_live", args=[C]))
    assert response.status_code == 200 and "board-live" in response.content.decode()


@pytest.mark.parametrize("role, unit", [(Role.DISTRICT, "CAH-VTH"), (Role.PC06, "PC06"), (Role.COUNCIL, None)])
def test_an_unchanged_poll_costs_one_query_past_the_sign_in(login, campaign, role, unit):
    """Signing in (session, user, profile and the profile's unit) is every page's; the poll itself reads the campaign
    and the end of the history in one query, and nothing else."""
    client = login(role, unit)
    version = version_of(client.get(reverse("board", args=[C])).content.decode())
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(live_url(version)).status_code == 204
    sign_in = ("django_session", "auth_user", "accounts_profile", 'FROM "units_unit" WHERE "units_unit"."id" =')
    own = [q["sql"] for q in ctx.captured_queries if not any(t in q["sql"] for t in sign_in)]
    assert len(own) == 1 and "campaigns_campaign" in own[0] and "audit_chainhead" in own[0], own
    assert len(ctx.captured_queries) == (5 if unit else 4)


def test_the_board_has_a_bounded_number_of_queries(login, campaign, django_assert_max_num_queries):
    client = login(Role.PC06, "PC06")
    with django_assert_max_num_queries(14):
        client.get(reverse("board", args=[C]))
    parent = Unit.objects.get(campaign=campaign, code="PC06")
    for i in range(20):
        Unit.objects.create(campaign=campaign, code=f"CAH-X{i}", name=f"Công an {i}", kind="cong_an_huyen",
                            parent=parent, group=campaign.groups.get(code="cap_huyen"))
    forget_standings()  # written without an act: the kept standings would not know them
    with django_assert_max_num_queries(14):
        client.get(reverse("board", args=[C]))
    with django_assert_max_num_queries(14):
        client.get(reverse("board_live", args=[C]))


def test_the_standings_page_links_the_board(login, campaign):
    body = login(Role.TEAM, "TO-VTH-1").get(reverse("standings", args=[C])).content.decode()
    assert reverse("board", args=[C]) in body and reverse("replay", args=[C]) in body


def test_the_poll_lets_in_exactly_whoever_has_a_scope_in_the_campaign(campaign):
    """The poll asks `opens_campaign`, which reads no scope's units: the same answer as `scope_of` for every kind
    of user, a user of another campaign among them."""
    other, _ = campaign_init(config=dataclasses.replace(campaign.config, code="khac"), actor="pc06")
    elsewhere = Unit.objects.create(campaign=other, code="CAH-KHAC", name="Công an khác", kind="cong_an_huyen")
    users = [AnonymousUser(), get_user_model().objects.create_superuser("sieu", password="Mat-khau-2021"),
             get_user_model().objects.create_user("khong-ho-so", password="Mat-khau-2021"),
             user_create(username="khac", password="Mat-khau-2021", role=Role.DISTRICT, actor="kiem-thu",
                         unit=elsewhere)]
    for i, (role, unit) in enumerate([(Role.ADMIN, None), (Role.PC06, "PC06"), (Role.COUNCIL, None),
                                      (Role.DISTRICT, "CAH-VTH"), (Role.TEAM, "TO-NBA-1"), (Role.VIEWER, None)]):
        users.append(user_create(username=f"nguoi-{i}", password="Mat-khau-2021", role=role, actor="kiem-thu",
                                 unit=Unit.objects.get(campaign=campaign, code=unit) if unit else None))
    answers = [(opens_campaign(u, c), scope_of(u, c) is not None) for u in users for c in (campaign, other)]
    assert all(opens == scoped for opens, scoped in answers)
    assert [opens for opens, _ in answers] == [False, False, True, True, False, False, False, True,
                                               *[True, True, True, False, True, True, True, False, True, False,
                                                 True, True]]
