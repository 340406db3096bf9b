"""`thidua score`: the JSON of docs/scoring.md, the Vietnamese table, the workbook, the robustness check, and the
scoring seam's bounded number of queries — on the reference campaign and its base dataset (tests/conftest.py).

The base dataset: CAH-VTH's quota is 120 a day × 127 days = 15.240 (intake 185 on 01–02/03); CAH-NBA's is
90 × 92 days (01/03–31/05) + 9.000 = 17.280 (intake 105). `completed` adds, for CAH-VTH, 2.000 a day on
01–08/04 (done on 08/04 with 16.185) and, for CAH-NBA, 2.000 a day on each of its two machines on 01–05/05
(done on 05/05 with 20.105), and CAH-CTA, a district unit of group cap_huyen with no team (no quota).
"""

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from thidua.campaigns.models import Campaign
from thidua.scoring.core import RULE_LABELS
from thidua.standings.selectors import campaign_standings, forget_standings
from thidua.territory.models import AdminUnit

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parent.parent
H = {
    "don_vi": ["ma_don_vi", "ten_don_vi", "loai", "ma_don_vi_cap_tren", "dia_ban", "nhom_thi_dua"],
    "may": ["ma_may", "ma_to", "tu_ngay", "den_ngay", "chi_tieu", "chi_tieu_ngay"],
    "thu_nhan": ["ngay", "ma_may", "ma_xa", "so_ho_so"],
}
APRIL = [dt.date(2021, 4, day) for day in range(1, 9)]
MAY = [dt.date(2021, 5, day) for day in range(1, 6)]
COMPLETING = {
    "don_vi": [H["don_vi"], ["CAH-CTA", "Công an huyện Châu Thành A", "cong_an_huyen", "PC06", "932", "cap_huyen"]],
    "thu_nhan": [H["thu_nhan"],
                 *([day, "M-VTH-01", "31318", 2000] for day in APRIL),
                 *([day, machine, commune, 2000] for day in MAY
                   for machine, commune in (("M-NBA-01", "31340"), ("M-NBA-02", "31341")))],
}
AWARD_1 = {"tier": 1, "cash_vnd": 10_000_000, "individuals": 3, "bonus_points": 3}
AWARD_2 = {"tier": 2, "cash_vnd": 7_000_000, "individuals": 2, "bonus_points": 2}


def line(unit, name, quota, intake, attainment, completed_on, intake_points, time, total, rank, eligible,
         prize_rank, award, tie=False, needs_decision=False) -> dict:
    return {"unit": unit, "name": name, "quota": quota, "intake": intake, "attainment": attainment,
            "completed_on": completed_on, "points": {"intake": intake_points, "time": time}, "total": total,
            "rank": rank, "tie": tie, "eligible": eligible, "prize_rank": prize_rank,
            "needs_decision": needs_decision, "award": award}


VTH, NBA, CTA = "Công an thành phố Vị Thanh", "Công an thành phố Ngã Bảy", "Công an huyện Châu Thành A"

# The final standings once `completed` is imported, written out from docs/scoring.md.
FINAL = [
    # 20.105 / 17.280 = 1.16348…: 70 + 3 full 5% steps; 10 + min(20, 0.5 × 57 days) = 30
    line("CAH-NBA", NBA, 17_280, 20_105, "1.1635", "2021-05-05", "73.00", "30.00", "103.00", 1, True, 1, AWARD_1),
    # 16.185 / 15.240 = 1.06200…: 70 + 1; 10 + min(20, 0.5 × 84 days) = 30
    line("CAH-VTH", VTH, 15_240, 16_185, "1.0620", "2021-04-08", "71.00", "30.00", "101.00", 2, True, 2, AWARD_2),
    line("CAH-CTA", CTA, 0, 0, None, None, "0.00", "0.00", "0.00", None, False, None, None),
]
# As of 05/04/2021 nobody has completed: CAH-VTH has 185 + 5 × 2.000 = 10.185, 70 × 10.185 / 15.240 = 46.78…
APRIL_5 = [
    line("CAH-VTH", VTH, 15_240, 10_185, "0.6683", None, "46.78", "0.00", "46.78", 1, False, None, None),
    # 70 × 105 / 17.280 = 0.425…
    line("CAH-NBA", NBA, 17_280, 105, "0.0061", None, "0.43", "0.00", "0.43", 2, False, None, None),
    line("CAH-CTA", CTA, 0, 0, None, None, "0.00", "0.00", "0.00", None, False, None, None),
]


@pytest.fixture
def completed(campaign, write_source, run_import):
    report = run_import(write_source(COMPLETING, "xlsx"))
    assert report.ok, [str(e) for e in report.errors]
    return campaign


def score_json(capsys, code: str, *args: str) -> dict:
    call_command("score", code, "--format", "json", *args)
    return json.loads(capsys.readouterr().out)


def check_shape(result: dict) -> None:
    """Check the object against the shape of docs/scoring.md: keys, types, decimals as strings, order."""
    assert {"campaign", "as_of", "groups"} <= result.keys()
    assert isinstance(result["campaign"], str)
    assert dt.date.fromisoformat(result["as_of"])
    for group in result["groups"]:
        assert {"code", "standings"} <= group.keys()
        rows = group["standings"]
        for row in rows:
            assert {"unit", "name", "quota", "intake", "attainment", "completed_on", "points", "total", "rank",
                    "tie", "eligible", "prize_rank", "needs_decision", "award"} <= row.keys()
            assert isinstance(row["unit"], str) and isinstance(row["name"], str)
            assert type(row["quota"]) is int and type(row["intake"]) is int
            assert row["attainment"] is None or re.fullmatch(r"\d+\.\d{4}", row["attainment"])
            assert row["completed_on"] is None or dt.date.fromisoformat(row["completed_on"])
            assert set(row["points"]) == {"intake", "time"}
            for value in (row["points"]["intake"], row["points"]["time"], row["total"]):
                assert isinstance(value, str) and re.fullmatch(r"\d+\.\d{2}", value)
            assert row["rank"] is None or type(row["rank"]) is int
            assert row["prize_rank"] is None or type(row["prize_rank"]) is int
            assert all(type(row[k]) is bool for k in ("tie", "eligible", "needs_decision"))
            if row["award"] is not None:
                assert set(row["award"]) == {"tier", "cash_vnd", "individuals", "bonus_points"}
                assert all(type(v) is int for v in row["award"].values())
        ranks = [r["rank"] for r in rows]
        ranked = [r for r in ranks if r is not None]
        assert ranks == ranked + [None] * (len(ranks) - len(ranked)), "unranked competitors come last"
        assert ranked == sorted(ranked), "standings are listed in rank order"


def documented(rows: list[dict]) -> list[dict]:
    """The standings lines without the keys docs/scoring.md allows to be added."""
    keys = ("unit", "name", "quota", "intake", "attainment", "completed_on", "points", "total", "rank", "tie",
            "eligible", "prize_rank", "needs_decision", "award")
    return [{k: r[k] for k in keys} for r in rows]


def group(result: dict, code: str) -> dict:
    return next(g for g in result["groups"] if g["code"] == code)


# --- JSON ---------------------------------------------------------------------------------------------------

def test_json_of_the_base_dataset(campaign, capsys):
    result = score_json(capsys, campaign.code)
    check_shape(result)
    assert (result["campaign"], result["as_of"]) == ("hau-giang-2021", "2021-07-01")
    assert [g["code"] for g in result["groups"]] == ["cap_huyen", "cap_tinh"]
    assert documented(group(result, "cap_huyen")["standings"]) == [
        line("CAH-VTH", VTH, 15_240, 185, "0.0121", None, "0.85", "0.00", "0.85", 1, False, None, None),
        line("CAH-NBA", NBA, 17_280, 105, "0.0061", None, "0.43", "0.00", "0.43", 2, False, None, None),
    ]
    assert group(result, "cap_tinh")["standings"] == []


def test_json_of_the_final_standings(completed, capsys):
    result = score_json(capsys, completed.code)
    check_shape(result)
    assert result["as_of"] == "2021-07-01" and result["final"] is True
    rows = group(result, "cap_huyen")["standings"]
    assert documented(rows) == FINAL
    assert rows[-1]["setup_error"] and rows[0]["setup_error"] is None
    # Prizes 10.000.000 + 7.000.000; by law 2 × 2.980.000 + 5 × 1.490.000 for them, the same for cap_tinh.
    assert result["budget"] == {"prizes_vnd": 17_000_000, "statutory_vnd": 2 * 13_410_000,
                                "total_vnd": 17_000_000 + 2 * 13_410_000, "tentative": False}


def test_json_ranks_the_teams_without_prizes(completed, capsys):
    teams = score_json(capsys, completed.code)["teams"]
    assert {t["unit"] for t in teams} == {"TO-VTH-1", "TO-NBA-1"}
    assert [t["rank"] for t in teams] == [1, 2]
    assert all(t["award"] is None and t["prize_rank"] is None for t in teams)


def test_as_of_changes_the_result(completed, capsys):
    early = score_json(capsys, completed.code, "--as-of", "2021-04-05")
    check_shape(early)
    assert early["as_of"] == "2021-04-05" and early["final"] is False
    assert documented(group(early, "cap_huyen")["standings"]) == APRIL_5
    assert early["budget"]["prizes_vnd"] == 0

    done = score_json(capsys, completed.code, "--as-of", "2021-04-08")
    vth = group(done, "cap_huyen")["standings"][0]
    assert documented([vth]) == [line("CAH-VTH", VTH, 15_240, 16_185, "1.0620", "2021-04-08", "71.00", "30.00",
                                      "101.00", 1, True, 1, AWARD_1)]


def test_as_of_after_the_deadline_is_the_final_result(completed, capsys):
    late = score_json(capsys, completed.code, "--as-of", "2022-01-31")
    assert late["as_of"] == "2021-07-01" and late["final"] is True
    assert documented(group(late, "cap_huyen")["standings"]) == FINAL


def test_json_output_file(completed, capsys, tmp_path):
    path = tmp_path / "bxh.json"
    call_command("score", completed.code, "--format", "json", "--output", str(path))
    assert capsys.readouterr().out == ""
    assert documented(group(json.loads(path.read_text(encoding="utf-8")), "cap_huyen")["standings"]) == FINAL


def test_machine_lent_to_another_district(campaign, capsys, write_source, run_import):
    """M-NBA-01 goes from Ngã Bảy's team to Vị Thanh's for June: its quota and its June intake go with it."""
    lent = {"may": [H["may"], ["M-NBA-01", "TO-VTH-1", dt.date(2021, 6, 1), dt.date(2021, 6, 30), None, 90]],
            "thu_nhan": [H["thu_nhan"], [dt.date(2021, 6, 5), "M-NBA-01", "31318", 500]]}
    report = run_import(write_source(lent, "xlsx"))
    assert report.ok, [str(e) for e in report.errors]
    rows = {r["unit"]: r for r in group(score_json(capsys, campaign.code), "cap_huyen")["standings"]}
    assert (rows["CAH-VTH"]["quota"], rows["CAH-VTH"]["intake"]) == (15_240 + 30 * 90, 185 + 500)
    assert (rows["CAH-NBA"]["quota"], rows["CAH-NBA"]["intake"]) == (17_280, 105)


# --- table and workbook -------------------------------------------------------------------------------------

def test_table_is_vietnamese(completed, capsys):
    call_command("score", completed.code)
    text = capsys.readouterr().out
    assert "Bảng xếp hạng tạm tính đến ngày 01/07/2021" in text  # the campaign is not scored yet
    assert "(thời gian thi đua 25/02/2021 – 01/07/2021)" in text
    nba = next(row for row in text.splitlines() if "CAH-NBA" in row)
    for shown in ("17.280", "20.105", "116,35%", "05/05/2021", "73,00", "30,00", "103,00",
                  "Hạng Nhất: 10.000.000 đ"):
        assert shown in nba, shown
    vth = next(row for row in text.splitlines() if "CAH-VTH" in row)
    for shown in ("15.240", "16.185", "106,20%", "08/04/2021", "71,00", "101,00", "Hạng Nhì: 7.000.000 đ"):
        assert shown in vth, shown
    assert "tổng cộng: 43.820.000 đ" in text
    assert not re.search(r"\d\.\d\d(\s|$)", nba), "no decimal points in Vietnamese numbers"


def test_table_attainment_is_rounded_once_like_the_json(campaign, capsys, write_source, run_import):
    """343 / 17.280 = 0,0198495…: 1,98% (rounded once, as the JSON's 0.0198), not 1,99% (0,019850 rounded again)."""
    report = run_import(write_source({"thu_nhan": [H["thu_nhan"], [dt.date(2021, 3, 4), "M-NBA-01", "31340", 238]]},
                                     "xlsx"))
    assert report.ok, [str(e) for e in report.errors]
    rows = {r["unit"]: r for r in group(score_json(capsys, campaign.code), "cap_huyen")["standings"]}
    assert (rows["CAH-NBA"]["intake"], rows["CAH-NBA"]["attainment"]) == (343, "0.0198")
    call_command("score", campaign.code)
    nba = next(row for row in capsys.readouterr().out.splitlines() if "CAH-NBA" in row)
    assert "1,98%" in nba.split()


def test_table_as_of_is_provisional(completed, capsys):
    call_command("score", completed.code, "--as-of", "2021-04-05")
    text = capsys.readouterr().out
    assert "Bảng xếp hạng tạm tính đến ngày 05/04/2021" in text
    assert "46,78" in next(row for row in text.splitlines() if "CAH-VTH" in row)


def test_xlsx_has_a_sheet_per_scored_group_and_the_details(completed, capsys, tmp_path):
    path = tmp_path / "bxh.xlsx"
    call_command("score", completed.code, "--format", "xlsx", "--output", str(path))
    assert str(path) in capsys.readouterr().out
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["cap_huyen", "cac_to", "chi_tiet", "khen_thuong"]
    rows = [r for r in wb["cap_huyen"].iter_rows(values_only=True) if r[1] in ("CAH-NBA", "CAH-VTH", "CAH-CTA")]
    assert [(r[0], r[1], r[3], r[4]) for r in rows] == [(1, "CAH-NBA", 17_280, 20_105), (2, "CAH-VTH", 15_240, 16_185),
                                                        (None, "CAH-CTA", 0, 0)]
    assert rows[0][6].date() == dt.date(2021, 5, 5) and float(rows[0][9]) == 103.0
    detail = [r for r in wb["chi_tiet"].iter_rows(values_only=True)]
    assert [r[4] for r in detail if r[2] == "Tổng"] == [103, 101, 0]
    labels = {r[2] for r in detail}
    assert {RULE_LABELS["intake"], RULE_LABELS["bonus"], RULE_LABELS["completion"], RULE_LABELS["early"]} <= labels
    awards = [r for r in wb["khen_thuong"].iter_rows(values_only=True)]
    assert any(r[1] == NBA and r[3] == 10_000_000 for r in awards)
    assert any(r[3] == 43_820_000 for r in awards)


def test_xlsx_needs_an_output(campaign):
    with pytest.raises(CommandError):
        call_command("score", campaign.code, "--format", "xlsx")


def test_unknown_campaign_and_date_before_start_are_refused(campaign):
    with pytest.raises(CommandError):
        call_command("score", "khong-co")
    with pytest.raises(CommandError):
        call_command("score", campaign.code, "--as-of", "2021-02-24")
    with pytest.raises(CommandError):
        call_command("score", campaign.code, "--as-of", "24/02/2021")


# --- robustness ---------------------------------------------------------------------------------------------

def test_robustness_prints_a_line_per_competitor(completed, capsys):
    call_command("score", completed.code, "--robustness", "--samples", "50")
    text = capsys.readouterr().out
    assert "50 lần rút lại" in text
    lines = [row for row in text.splitlines() if re.match(r"\s+CAH-", row)]
    assert [row.split()[0] for row in lines] == ["CAH-NBA", "CAH-VTH", "CAH-CTA"]
    assert all(re.search(r"\d+(,\d)?%\s+\d+(,\d)?%$", row) for row in lines)
    call_command("score", completed.code, "--robustness", "--samples", "50")
    assert capsys.readouterr().out == text, "the same seed gives the same result"


# --- the seam -----------------------------------------------------------------------------------------------

def standings_queries(code: str) -> int:
    """Return the queries of the standings computed from nothing kept (not brought up to date from kept ones)."""
    forget_standings()
    campaign = Campaign.objects.get(code=code)
    with CaptureQueriesContext(connection) as ctx:
        result = campaign_standings(campaign, dt.date(2021, 7, 1))
    assert result.groups
    return len(ctx.captured_queries)


def test_campaign_standings_queries_do_not_grow(completed, write_source, run_import, django_assert_max_num_queries):
    before = standings_queries(completed.code)
    communes = list(AdminUnit.objects.communes_of("legacy", "93").filter(parent__code="934")
                    .values_list("code", flat=True)[:4])
    assert len(communes) == 4
    more = {
        "don_vi": [H["don_vi"],
                   ["CAH-PHG", "Công an huyện Phụng Hiệp", "cong_an_huyen", "PC06", "934", "cap_huyen"],
                   *([f"TO-PHG-{i}", f"Tổ {i} Phụng Hiệp", "to", "CAH-PHG", None, None] for i in (1, 2, 3))],
        "may": [H["may"], *([f"M-PHG-{i}", f"TO-PHG-{i}", None, None, 3000, None] for i in (1, 2, 3))],
        "thu_nhan": [H["thu_nhan"], *([dt.date(2021, 3, 1) + dt.timedelta(days=k), f"M-PHG-{i}", c, 7]
                                      for k in range(40) for i in (1, 2, 3) for c in communes)],
    }
    report = run_import(write_source(more, "xlsx"))
    assert report.ok, [str(e) for e in report.errors]
    after = standings_queries(completed.code)
    assert after == before
    fresh = Campaign.objects.get(code=completed.code)
    with django_assert_max_num_queries(before):
        campaign_standings(fresh)


def test_scoring_imports_no_django():
    code = ("import thidua.scoring.core, thidua.scoring.awards, thidua.scoring.robustness, sys; "
            "assert not any(m.startswith('django') for m in sys.modules), "
            "sorted(m for m in sys.modules if m.startswith('django'))")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
