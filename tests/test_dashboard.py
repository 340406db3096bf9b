"""The progress dashboards (/dot/<code>/bieu-do/): the charts' options from a small hand-made dataset (cumulative
values, the even pace, the quota, the forecast, daily targets), the drill-down within the user's scope, the workbooks
(content, formulas kept as text) and the bounded number of queries.

The base data (tests/conftest.py): S = 25/02/2021, D = 01/07/2021; TO-VTH-1 (district CAH-VTH) holds M-VTH-01 at
120 a day for the whole period; TO-NBA-1 (CAH-NBA) holds M-NBA-01 (90 a day, 01/03–31/05) and M-NBA-02 (9000 in
all, 01/03–30/06). Intake: 01/03 M-VTH-01 85 in 31318 and 40 in 31321; 02/03 M-VTH-01 60 in 31318, M-NBA-01 75 in
31340; 03/03 M-NBA-02 30 in 31341.
"""

import datetime as dt
import io
import json
from fractions import Fraction

import openpyxl
import pytest
from django.urls import reverse

from thidua.accounts.models import Role
from thidua.intake.services import report_save
from thidua.monitoring.forecasts import campaign_forecast, forget_forecasts
from thidua.monitoring.progress import (
    Curve,
    ProgressDay,
    curve_of,
    machine_series,
    straight_line,
    weekly,
)
from thidua.scoring import core
from thidua.standings.selectors import campaign_standings, forget_standings
from thidua.units.models import Unit
from thidua.web import charts

C = "hau-giang-2021"
S, D = dt.date(2021, 2, 25), dt.date(2021, 7, 1)
E = dt.date(2021, 3, 3)


def url(name="dashboard", **params):
    query = "&".join(f"{k}={v}" for k, v in {"ngay": E.isoformat(), **params}.items())
    return reverse(name, args=[C]) + "?" + query


def small_curve() -> Curve:
    """A unit of quota 1000 that received 100, 0 and 50 on its first three days."""
    days = (ProgressDay(S, 100, 100), ProgressDay(S + dt.timedelta(1), 0, 100),
            ProgressDay(S + dt.timedelta(2), 50, 150))
    return Curve.of_days("U1", "Đơn vị một", 1000, days, None)


def series_named(option, name):
    return next(s for s in option["series"] if s["name"] == name)


# --- options from a hand-made dataset --------------------------------------------------------------------------

def test_a_standing_becomes_a_curve_over_every_calendar_day():
    row = core.Standing("U1", "Một", 500, 150, Fraction(3, 10), None, Fraction(0), Fraction(0), Fraction(0),
                        days=(core.DayTotal(S, 100, 100), core.DayTotal(S + dt.timedelta(2), 50, 150)))
    curve = curve_of(row, S, S + dt.timedelta(3))
    assert [(d.day.day, d.applications, d.cumulative) for d in curve.days] == [
        (25, 100, 100), (26, 0, 100), (27, 50, 150), (28, 0, 150)]
    assert curve.intake == 150 and curve.attainment == Fraction(3, 10)


def test_the_even_pace_goes_from_nothing_at_the_start_to_the_quota_at_the_deadline():
    assert straight_line(1000, S, S, D) == 0
    assert straight_line(1000, D, S, D) == 1000
    assert straight_line(1260, S + dt.timedelta(63), S, D) == Fraction(1260 * 63, 126)
    assert straight_line(1000, D + dt.timedelta(5), S, D) == 1000  # past the deadline it stays at the quota


def test_the_cumulative_chart_draws_the_intake_the_even_pace_and_the_quota():
    option = charts.cumulative_option(small_curve(), S, D)
    assert series_named(option, "Lũy kế thu nhận")["data"] == [["2021-02-25", 100], ["2021-02-26", 100],
                                                                ["2021-02-27", 150]]
    assert series_named(option, "Tiến độ đều đến hạn")["data"] == [["2021-02-25", 0], ["2021-07-01", 1000]]
    assert series_named(option, "Chỉ tiêu")["data"] == [["2021-02-25", 1000], ["2021-07-01", 1000]]
    assert option["xAxis"]["min"] == "2021-02-25" and option["xAxis"]["max"] == "2021-07-01"
    json.dumps(option)  # written into the page as JSON


def test_every_line_differs_by_its_dash_not_only_by_its_colour():
    projection = charts.Projection(S + dt.timedelta(2), 150, 1000, dt.date(2021, 6, 1), dt.date(2021, 5, 20),
                                   dt.date(2021, 6, 20))
    option = charts.cumulative_option(small_curve(), S, D, projection)
    styles = {s["name"]: (str(s["lineStyle"]["type"]), s["lineStyle"]["width"]) for s in option["series"]}
    assert len({styles[n] for n in ("Lũy kế thu nhận", "Tiến độ đều đến hạn", "Chỉ tiêu",
                                    "Dự báo theo tốc độ hiện tại", "Dự báo sớm nhất")}) == 5
    assert option["aria"]["decal"]["show"] is True


def test_the_forecast_goes_from_the_date_looked_at_to_the_quota_with_its_band():
    projection = charts.Projection(S + dt.timedelta(2), 150, 1000, dt.date(2021, 6, 1), dt.date(2021, 5, 20),
                                   dt.date(2021, 7, 20))
    option = charts.cumulative_option(small_curve(), S, D, projection)
    assert series_named(option, "Dự báo theo tốc độ hiện tại")["data"] == [["2021-02-27", 150], ["2021-06-01", 1000]]
    assert series_named(option, "Dự báo sớm nhất")["data"] == [["2021-02-27", 150], ["2021-05-20", 1000]]
    assert series_named(option, "Dự báo muộn nhất")["data"] == [["2021-02-27", 150], ["2021-07-20", 1000]]
    assert option["xAxis"]["max"] == "2021-07-20"  # the axis reaches the band's latest day past the deadline
    assert charts.projection_note(projection) == "Khoảng dự báo: từ 20/05/2021 đến 20/07/2021."


def test_a_unit_that_reached_its_quota_or_has_no_projection_draws_no_forecast():
    done = charts.Projection(S, 1000, 1000, S, S, S)
    never = charts.Projection(S, 10, 1000, None, None, None)
    for projection in (done, never):
        names = [s["name"] for s in charts.cumulative_option(small_curve(), S, D, projection)["series"]]
        assert names == ["Lũy kế thu nhận", "Tiến độ đều đến hạn", "Chỉ tiêu"]


def test_small_multiples_share_an_axis_of_attainment():
    curve = small_curve()
    option = charts.attainment_option(curve, S, D, 1.25)
    assert series_named(option, "Lũy kế thu nhận")["data"][-1] == ["2021-02-27", 0.15]
    assert series_named(option, "Tiến độ đều đến hạn")["data"] == [["2021-02-25", 0], ["2021-07-01", 1]]
    assert option["yAxis"]["max"] == 1.25 and option["legend"]["show"] is False
    ahead = Curve.of_days("U2", "Hai", 100, (ProgressDay(S, 130, 130),), S)
    assert charts.shared_max([curve]) == 1 and charts.shared_max([curve, ahead]) == 1.5


def test_the_cumulative_table_has_a_row_a_week_ending_on_the_date_looked_at():
    days = tuple(ProgressDay(S + dt.timedelta(i), 10, 10 * (i + 1)) for i in range(16))
    curve = Curve.of_days("U1", "Một", 1260, days, None)
    as_of = days[-1].day
    assert [d.day for d in weekly(days, as_of)] == [S, S + dt.timedelta(1), S + dt.timedelta(8), as_of]
    headers, rows = charts.cumulative_table(curve, S, D, as_of)
    assert [h.text for h in headers] == ["Ngày", "Lũy kế", "Tiến độ đều", "Chênh lệch", "Tỷ lệ chỉ tiêu"]
    # 12/03/2021: 160 received; the even pace 1260 × 15 / 126 = 150.
    assert [c.text for c in rows[-1]] == ["12/03/2021", "160", "150", "10", "12,70%"]


def test_the_machine_chart_draws_the_days_against_the_daily_target():
    from thidua.monitoring.progress import MachineDay, MachineSeries

    series = MachineSeries("M1", (MachineDay(S, 125, Fraction(120)), MachineDay(S + dt.timedelta(1), 0, Fraction(0)),
                                  MachineDay(S + dt.timedelta(2), 60, Fraction(9000, 122),
                                             (("31318", "Phường I", 60),))))
    option = charts.machine_option(series)
    assert option["xAxis"]["data"] == ["25/02", "26/02", "27/02"]
    assert series_named(option, "Hồ sơ trong ngày")["data"] == [125, 0, 60]
    assert series_named(option, "Chỉ tiêu ngày")["data"] == [120, 0, 74]  # 9000 / 122 = 73,77 → 74
    _headers, rows = charts.machine_table(series, lambda code: f"/xa/{code}")
    assert [c.text for c in rows[0][:4]] == ["25/02/2021", "125", "120", "5"]
    assert rows[2][4].links == (("Phường I (60)", "/xa/31318"),) and rows[1][4].text == "—"


def test_a_charts_table_is_escaped_and_heads_each_row_with_its_first_cell():
    html = charts.table_html((charts.Cell("Đơn vị"), charts.Cell("Tỷ lệ", num=True, wide=True)),
                             ((charts.Cell("<script>x</script>", "/a?b=1&c=2"), charts.Cell("12,5%", num=True)),
                              (charts.Cell("Máy"), charts.Cell("", links=(("Xã A (3)", "/xa/1"), ("Xã B", "/xa/2"))))),
                             "Bảng")
    assert '<th scope="col" class="num wide">Tỷ lệ</th>' in html
    assert '<th scope="row"><a href="/a?b=1&amp;c=2">&lt;script&gt;x&lt;/script&gt;</a></th>' in html
    assert '<td class="num">12,5%</td>' in html
    assert '<td><a href="/xa/1">Xã A (3)</a>, <a href="/xa/2">Xã B</a></td>' in html
    assert "<script>" not in html


# --- reading the database ------------------------------------------------------------------------------------

def test_machine_series_counts_each_machine_and_day_with_its_target_and_communes(campaign):
    result = campaign_standings(campaign, E)
    ids = dict(Unit.objects.filter(campaign=campaign, kind="to").values_list("code", "id"))
    first = dt.date(2021, 3, 1)
    found = {s.machine: s for s in machine_series(campaign, result.inputs.assignments, result.inputs.period,
                                                  first=first, last=E, team_ids=ids, with_communes=True)}
    assert sorted(found) == ["M-NBA-01", "M-NBA-02", "M-VTH-01"]
    vth = found["M-VTH-01"].days
    assert [(d.applications, d.target) for d in vth] == [(125, 120), (60, 120), (0, 120)]
    assert vth[0].communes == (("31318", "Phường I", 85), ("31321", "Phường III", 40))
    nba2 = found["M-NBA-02"].days
    assert nba2[2].applications == 30 and nba2[2].target == Fraction(9000, 122)


# --- the pages and their scope -------------------------------------------------------------------------------

def test_the_province_shows_every_competitor_and_leads_down_to_each(login):
    body = login(Role.PC06, "PC06").get(url()).content.decode()
    for code in ("CAH-VTH", "CAH-NBA"):
        assert f"?don_vi={code}&amp;ngay=2021-03-03" in body
    assert 'data-chart="bieu-do-0"' in body and 'id="bieu-do-0" type="application/json"' in body
    assert "vendor/echarts-6.1.0/echarts.min.js" in body


def test_a_district_starts_at_its_own_unit_and_sees_its_teams_only(login):
    client = login(Role.DISTRICT, "CAH-VTH")
    page = client.get(url())
    body = page.content.decode()
    assert page.context["level"].name == "Công an thành phố Vị Thanh"
    assert "TO-VTH-1" in body and "TO-NBA-1" not in body and "Ngã Bảy" not in body
    assert client.get(url(don_vi="CAH-NBA")).status_code == 404
    assert client.get(url(don_vi="TO-NBA-1")).status_code == 404
    assert client.get(url(may="M-NBA-01")).status_code == 404
    assert client.get(url(may="KHONG-CO")).status_code == 404
    assert client.get(url(don_vi="TO-VTH-1")).status_code == 200


def test_a_unit_without_a_quota_of_its_own_shows_its_units(login):
    page = login(Role.PC06, "PC06").get(url(don_vi="PC06"))
    own, below = page.context["sections"]
    assert own.charts == [] and "Đơn vị này không có chỉ tiêu riêng." in page.content.decode()
    assert [c.title for c in below.charts] == ["Công an thành phố Ngã Bảy", "Công an thành phố Vị Thanh"]


def test_a_team_sees_its_machines_day_by_day_and_one_machine_with_its_communes(login):
    client = login(Role.TEAM, "TO-VTH-1")
    team = client.get(url()).content.decode()
    assert "may=M-VTH-01" in team and "Máy M-VTH-01" in team
    machine = client.get(url(may="M-VTH-01"))
    assert machine.status_code == 200
    body = machine.content.decode()
    assert f"/dot/{C}/do-phu/?xa=31318" in body and f"/dot/{C}/do-phu/?xa=31321" in body
    assert [name for name, _ in machine.context["level"].trail][-1] == "Tổ cấp CCCD lưu động số 1 Vị Thanh"
    assert client.get(url(don_vi="CAH-VTH")).status_code == 404  # above the team: not in its scope


def test_the_date_looked_at_is_kept_and_a_bad_one_said(login):
    client = login(Role.PC06, "PC06")
    body = client.get(reverse("dashboard", args=[C]) + "?ngay=31/02/2021").content.decode()
    assert "không hợp lệ" in body


def test_a_units_chart_draws_its_forecast_as_the_campaign_forecast_gives_it(campaign, login):
    team = Unit.objects.get(campaign=campaign, code="TO-VTH-1")
    report_save(campaign=campaign, team=team, day=E, rows=[("M-VTH-01", "31318", 1900)], actor="kiem-thu")
    expected = next(f for _g, f in campaign_forecast(campaign, E).competitors() if f.code == "CAH-VTH")
    assert expected.projected_on is not None
    chart = login(Role.PC06, "PC06").get(url(don_vi="CAH-VTH")).context["sections"][0].charts[0]
    assert series_named(chart.option, "Dự báo theo tốc độ hiện tại")["data"] == [
        [E.isoformat(), expected.intake], [expected.projected_on.isoformat(), expected.quota]]
    band = [series_named(chart.option, name)["data"][1][0] for name in ("Dự báo sớm nhất", "Dự báo muộn nhất")]
    assert band == [day.isoformat() for day in expected.band]
    assert expected.reason in chart.note


def test_a_unit_without_a_forecast_within_a_year_says_why_and_draws_none(campaign, login):
    chart = login(Role.PC06, "PC06").get(url(don_vi="CAH-VTH")).context["sections"][0].charts[0]
    assert "không hoàn thành trong vòng một năm sau hạn" in chart.note
    assert [s["name"] for s in chart.option["series"]] == ["Lũy kế thu nhận", "Tiến độ đều đến hạn", "Chỉ tiêu"]


# --- the workbooks ---------------------------------------------------------------------------------------------

def workbook(response):
    assert response.status_code == 200
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active


def table_rows(ws, first_header):
    rows = list(ws.iter_rows(values_only=True))
    top = next(i for i, r in enumerate(rows) if r[0] == first_header)
    return rows[top], rows[top + 1:]


def test_the_progress_workbook_has_every_day_of_every_unit_shown(login):
    ws = workbook(login(Role.DISTRICT, "CAH-VTH").get(url("dashboard_progress_xlsx")))
    header, rows = table_rows(ws, "Mã đơn vị")
    assert header[:6] == ("Mã đơn vị", "Đơn vị", "Ngày", "Hồ sơ trong ngày", "Lũy kế", "Chỉ tiêu")
    assert {r[0] for r in rows} == {"CAH-VTH", "TO-VTH-1"}
    by_day = {r[2].date(): r for r in rows if r[0] == "CAH-VTH"}
    assert len(by_day) == (E - S).days + 1
    assert by_day[dt.date(2021, 3, 2)][3:5] == (60, 185)


def test_the_machines_workbook_has_each_day_with_its_target_and_communes(login):
    ws = workbook(login(Role.TEAM, "TO-VTH-1").get(url("dashboard_machines_xlsx", may="M-VTH-01")))
    _header, rows = table_rows(ws, "Máy")
    day = next(r for r in rows if r[1].date() == dt.date(2021, 3, 1))
    assert day[:5] == ("M-VTH-01", day[1], 125, 120, 5)
    assert "Phường I (31318): 85" in day[5]


def test_a_name_like_a_formula_stays_text_in_the_workbook(campaign, login):
    Unit.objects.filter(campaign=campaign, code="TO-VTH-1").update(name='=HYPERLINK("http://x","y")')
    forget_standings()
    ws = workbook(login(Role.PC06, "PC06").get(url("dashboard_progress_xlsx", don_vi="CAH-VTH")))
    cell = next(c for row in ws.iter_rows() for c in row if c.value == '=HYPERLINK("http://x","y")')
    assert cell.data_type == "s" and cell.quotePrefix


def test_the_machine_level_has_no_cumulative_workbook(login):
    assert login(Role.PC06, "PC06").get(url("dashboard_progress_xlsx", may="M-VTH-01")).status_code == 404


# --- bounded queries ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("params", [{}, {"don_vi": "CAH-NBA"}, {"don_vi": "TO-NBA-1"}, {"may": "M-NBA-02"}],
                         ids=["province", "district", "team", "machine"])
def test_each_level_reads_a_fixed_number_of_queries(params, login, django_assert_max_num_queries):
    client = login(Role.PC06, "PC06")
    forget_standings()
    forget_forecasts()
    with django_assert_max_num_queries(13):  # computed afresh: the standings, the machines' days
        assert client.get(url(**params)).status_code == 200


def test_past_a_screenful_of_units_the_lowest_are_drawn_and_the_table_lists_them_all(login, monkeypatch):
    from thidua.web import dashboard

    monkeypatch.setattr(dashboard, "SMALL_SHOWN", 1)
    page = login(Role.PC06, "PC06").get(url())
    section = page.context["sections"][0]
    assert section.units > 1 and len(section.charts) == 1
    rows = page.context["sections"][0].summary[1]
    assert len(rows) == section.units  # the table: every unit
    body = page.content.decode()
    assert f"Bảng trên có đủ {section.units} đơn vị; biểu đồ vẽ 1 đơn vị có tỷ lệ thu nhận thấp nhất" in body
