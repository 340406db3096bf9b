"""The forecast page and each role's alerts on its home page: within scope, bounded, hostile dates refused.

Figures of the base dataset on 03/03/2021: tests/test_forecast_command.py's docstring.
"""

import datetime as dt
import io

import openpyxl
import pytest
from django.urls import reverse

from thidua.accounts.models import Role
from thidua.campaigns.models import Status

pytestmark = pytest.mark.django_db
DAY = "2021-03-03"


def url(campaign, day=DAY):
    return reverse("forecast", args=[campaign.code]) + f"?ngay={day}"


@pytest.fixture
def running(campaign):
    campaign.status = Status.RUNNING
    campaign.save(update_fields=["status"])
    return campaign


def test_pc06_reads_every_competitor_flag_with_its_reason_and_what_it_needs_to_overtake(login, campaign):
    page = login(Role.PC06, "PC06").get(url(campaign))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Nguy cơ trễ hạn" in body and "Còn 17.175 hồ sơ" in body and "143,13" in body
    (group, projected), = page.context["groups"]
    assert [f.code for f in group.forecasts] == ["CAH-VTH", "CAH-NBA"]
    assert [f.to_overtake for f in group.forecasts] == [None, 105]
    assert [r.live.code for r in projected] == [r.projected.code for r in projected]
    assert {t.code for t in page.context["teams"]} == {"TO-VTH-1", "TO-NBA-1"}


def test_a_district_sees_every_competitor_but_only_its_own_teams_and_communes(login, campaign):
    page = login(Role.DISTRICT, "CAH-VTH").get(url(campaign))
    assert [f.code for f in page.context["groups"][0][0].forecasts] == ["CAH-VTH", "CAH-NBA"]
    assert [t.code for t in page.context["teams"]] == ["TO-VTH-1"]
    assert {c.code for c in page.context["communes"]} == {"31318", "31321"}
    assert "TO-NBA-1" not in page.content.decode()


def test_a_districts_workbook_holds_its_own_teams_and_communes_only(login, campaign):
    response = login(Role.DISTRICT, "CAH-NBA").get(reverse("forecast_xlsx", args=[campaign.code]) + f"?ngay={DAY}")
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    teams = {c for row in wb["cac_to"].iter_rows(values_only=True) for c in row}
    communes = {c for row in wb["xa_phuong"].iter_rows(values_only=True) for c in row}
    assert "TO-NBA-1" in teams and "TO-VTH-1" not in teams
    assert "31340" in communes and "31318" not in communes
    assert "CAH-VTH" in {c for row in wb["cap_huyen"].iter_rows(values_only=True) for c in row}


@pytest.mark.parametrize("raw", ["\x00", "x" * 500, "31/02/2021", "../../etc", "<script>", "2021-03-03' OR 1=1"])
def test_a_bad_date_is_a_message_not_an_error(login, campaign, raw):
    page = login(Role.PC06, "PC06").get(reverse("forecast", args=[campaign.code]), {"ngay": raw})
    assert page.status_code in (200, 400)
    if page.status_code == 200:
        assert "không hợp lệ" in page.content.decode()


def test_a_date_before_the_start_says_so(login, campaign):
    page = login(Role.PC06, "PC06").get(url(campaign, "2021-01-01"))
    assert "trước ngày bắt đầu" in page.content.decode()


def test_the_page_reads_a_bounded_number_of_queries(login, campaign, django_assert_max_num_queries):
    client = login(Role.DISTRICT, "CAH-VTH")
    client.get(url(campaign))  # the session and the user, once
    with django_assert_max_num_queries(24):
        assert client.get(url(campaign)).status_code == 200


def test_pc06s_home_leads_with_the_districts_at_risk(login, running, monkeypatch):
    monkeypatch.setenv("THIDUA_SIMULATED_TODAY", DAY)
    body = login(Role.PC06, "PC06").get(reverse("home")).content.decode()
    assert "Cảnh báo tiến độ" in body and "2 đơn vị thi đua có nguy cơ trễ hạn" in body
    assert body.index("Cảnh báo tiến độ") < body.index("Việc hôm nay")


def test_a_districts_home_names_its_own_teams_at_risk_only(login, running, monkeypatch):
    monkeypatch.setenv("THIDUA_SIMULATED_TODAY", DAY)
    body = login(Role.DISTRICT, "CAH-NBA").get(reverse("home")).content.decode()
    assert "Tổ cấp CCCD lưu động số 1 Ngã Bảy" in body and "Vị Thanh" not in body.split("Cảnh báo tiến độ")[1].split(
        "Xem dự báo")[0]


def test_a_national_scope_sees_those_most_behind_first_up_to_a_page_and_is_told_of_the_rest(login, campaign,
                                                                                            monkeypatch):
    from thidua.monitoring.forecasts import campaign_forecast, commune_forecasts
    from thidua.web import forecasts as page_module

    monkeypatch.setattr(page_module, "ROWS_SHOWN", 1)
    body = login(Role.PC06, "PC06").get(url(campaign)).content.decode()
    result = campaign_forecast(campaign, dt.date.fromisoformat(DAY))
    teams, communes = result.teams, commune_forecasts(campaign, result.as_of)
    first = sorted(teams, key=lambda f: (not f.at_risk, not f.watch, f.code))[0]
    assert f">{first.name}</a>" in body
    assert all(f">{f.name}</a>" not in body for f in teams if f.code != first.code)
    assert f"Và {len(teams) - 1} tổ khác" in body and f"Và {len(communes) - 1} xã, phường, thị trấn khác" in body
