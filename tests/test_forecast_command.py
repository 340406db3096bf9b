"""`thidua forecast`: the JSON of docs/monitoring.md worked by hand on the base dataset (tests/conftest.py), the
Vietnamese table, the workbook, the errors, and the bounded number of queries.

Base dataset on 03/03/2021 (S = 25/02, D = 01/07): w = min(14, 7) = 7 days.
- CAH-VTH: quota 120 × 127 = 15.240, intake 125 (01/03) + 60 (02/03) = 185; P = 185/7 = 26,43; W = 15.055;
  N = 15.055 / 120 days = 125,4583 → 125.46; ⌈15.055 / (185/7)⌉ = 570 days, past D + 366 (486 days): none.
- CAH-NBA: quota 17.280, intake 75 (02/03) + 30 (03/03) = 105; P = 15; N = 17.175 / 120 = 143,125 → 143.13 (half
  up); none. Rank 2: it needs 70 × (105 + x)/17.280 > 70 × 185/15.240, i.e. 105 + x > 209,76 → x = 105.
- Communes: 31318 6.200 eligible, 145 taken → 0.0234; 31321 4.800/40 → 0.0083; 31340 7.100/75 → 0.0106;
  31341 no population row, 30 taken → coverage none, no flag.
"""

import datetime as dt
import json

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from thidua.monitoring.forecasts import campaign_forecast

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    from io import StringIO
    out = StringIO()
    call_command("forecast", "hau-giang-2021", *args, stdout=out)
    return out.getvalue()


def test_the_json_is_that_of_monitoring_md_worked_by_hand(campaign):
    data = json.loads(run("--as-of", "2021-03-03", "--format", "json"))
    assert (data["campaign"], data["as_of"], data["window_days"]) == ("hau-giang-2021", "2021-03-03", 7)
    vth, nba = data["competitors"]
    assert vth == {"group": "cap_huyen", "unit": "CAH-VTH", "name": "Công an thành phố Vị Thanh", "quota": 15240,
                   "intake": 185, "remaining": 15055, "pace": "26.43", "required_pace": "125.46",
                   "projected_on": None, "band": [None, None], "at_risk": True, "watch": False,
                   "reason": vth["reason"], "to_overtake": None}
    assert "15.055 hồ sơ" in vth["reason"] and "không hoàn thành trong vòng một năm sau hạn" in vth["reason"]
    assert (nba["unit"], nba["pace"], nba["required_pace"], nba["to_overtake"]) == ("CAH-NBA", "15.00", "143.13", 105)
    assert [t["unit"] for t in data["teams"]] == ["TO-NBA-1", "TO-VTH-1"]
    communes = {c["commune"]: (c["eligible"], c["intake"], c["coverage"], c["at_risk"]) for c in data["communes"]}
    assert communes == {"31318": (6200, 145, "0.0234", True), "31321": (4800, 40, "0.0083", True),
                        "31340": (7100, 75, "0.0106", True), "31341": (0, 30, None, False)}


def test_a_competitor_done_projects_its_completion_day(campaign, run_import, write_source):
    from tests.conftest import HEADERS
    rows = [HEADERS["thu_nhan"], *([dt.date(2021, 4, d), "M-VTH-01", "31318", 2000] for d in range(1, 9))]
    run_import(write_source({"thu_nhan": rows}, "xlsx"))
    data = json.loads(run("--as-of", "2021-04-20", "--format", "json"))
    vth = next(c for c in data["competitors"] if c["unit"] == "CAH-VTH")
    # 185 + 8 × 2.000 = 16.185 ≥ 15.240 on 08/04 (185 + 7 × 2.000 = 14.185 before).
    assert (vth["remaining"], vth["required_pace"], vth["projected_on"], vth["band"]) == (
        0, None, "2021-04-08", ["2021-04-08", "2021-04-08"])
    assert not vth["at_risk"] and not vth["watch"] and vth["to_overtake"] is None


def test_the_table_names_every_flag_with_its_reason(campaign):
    text = run("--as-of", "2021-03-03")
    assert "Dự báo đến ngày 03/03/2021" in text and "Nguy cơ trễ hạn" in text
    assert "CAH-NBA: Còn 17.175 hồ sơ" in text and "143,13" in text


def test_the_workbook_has_the_groups_the_teams_and_the_communes(campaign, tmp_path):
    path = tmp_path / "du-bao.xlsx"
    run("--as-of", "2021-03-03", "--format", "xlsx", "--output", str(path))
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["cap_huyen", "cac_to", "xa_phuong"]
    values = [c for row in wb["cap_huyen"].iter_rows(values_only=True) for c in row]
    assert "CAH-NBA" in values and 105 in values and "Nguy cơ trễ hạn" in values


@pytest.mark.parametrize("args, message", [
    (("--as-of", "2021-02-24"), "trước ngày bắt đầu"),
    (("--format", "xlsx"), "cần --output"),
])
def test_bad_options_are_refused_in_vietnamese(campaign, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_an_unknown_campaign_is_named(campaign):
    with pytest.raises(CommandError, match="Không có đợt thi đua mã «khong-co»"):
        call_command("forecast", "khong-co")


def test_a_date_after_the_deadline_is_the_deadline(campaign):
    assert json.loads(run("--as-of", "2022-01-01", "--format", "json"))["as_of"] == "2021-07-01"


def test_the_forecast_reads_a_fixed_number_of_queries(campaign, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        campaign_forecast(campaign, dt.date(2021, 3, 3))
    with django_assert_max_num_queries(2):  # kept until the history moves: the chain's head only
        campaign_forecast(campaign, dt.date(2021, 3, 3))
