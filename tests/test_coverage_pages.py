"""Coverage by commune, machine use and the teams that have not reported: figures from the base dataset, worked out
by hand; scopes; the workbooks and their escaping; the communes' coordinates; bounded queries.

Base dataset (tests/conftest.py): eligible residents 31318: 6.200, 31321: 4.800, 31340: 7.100 (none for 31341);
intake 01/03 M-VTH-01 31318 85 and 31321 40; 02/03 M-VTH-01 31318 60, M-NBA-01 31340 75; 03/03 M-NBA-02 31341 30.
CAH-VTH (district 930) serves 31318…; its team TO-VTH-1 serves 31318 and 31321 only.
"""

import datetime as dt
import io
import json
import math
import re
import zipfile
from fractions import Fraction

import openpyxl
import pytest
from django.urls import reverse

from thidua.accounts.models import Role
from thidua.intake.services import report_save, report_submit
from thidua.monitoring.coverage import commune_coverage, communes_in_scope, machine_use
from thidua.territory.models import AdminUnit
from thidua.territory.selectors import _dataset_coordinates, commune_coordinates
from thidua.units.models import Unit
from thidua.web.coverage import BANDS, _extent

pytestmark = pytest.mark.django_db
C = "hau-giang-2021"
DAY2 = "2021-03-02"
HOSTILE = '=HYPERLINK("http://x.invalid","bấm")'


def by_code(rows):
    return {r.code: r for r in rows}


def test_coverage_of_each_commune_up_to_a_date_is_its_intake_over_its_eligible_residents(campaign):
    rows = by_code(commune_coverage(campaign, communes_in_scope(campaign, None), dt.date(2021, 3, 2)))
    assert (rows["31318"].eligible, rows["31318"].intake, rows["31318"].coverage) == (6200, 145, Fraction(145, 6200))
    assert (rows["31321"].intake, rows["31321"].coverage) == (40, Fraction(40, 4800))
    assert (rows["31340"].intake, rows["31340"].coverage) == (75, Fraction(75, 7100))
    assert (rows["31341"].eligible, rows["31341"].intake, rows["31341"].coverage) == (None, 0, None)
    later = by_code(commune_coverage(campaign, communes_in_scope(campaign, None), dt.date(2021, 3, 3)))
    assert (later["31341"].intake, later["31341"].coverage) == (30, None)


def test_the_worst_covered_commune_comes_first_and_those_without_residents_last(campaign):
    rows = commune_coverage(campaign, communes_in_scope(campaign, None), dt.date(2021, 3, 2))
    known = [r.coverage for r in rows if r.coverage is not None]
    assert known == sorted(known)
    assert all(r.coverage is None for r in rows[len(known):])
    # Communes with residents and no intake (0%) before 31321 (0,83%), before 31340 (1,06%), before 31318 (2,34%).
    assert [r.code for r in rows if r.code in {"31318", "31321", "31340"}] == ["31321", "31340", "31318"]


def test_a_district_counts_the_communes_of_its_area_and_a_team_those_of_its_own(campaign):
    units = {u.code: u.id for u in Unit.objects.filter(campaign=campaign)}
    district = {a.code for a in AdminUnit.objects.filter(
        id__in=communes_in_scope(campaign, {units["CAH-VTH"], units["TO-VTH-1"]}))}
    team = {a.code for a in AdminUnit.objects.filter(id__in=communes_in_scope(campaign, {units["TO-VTH-1"]}))}
    assert team == {"31318", "31321"}
    assert {"31318", "31321"} < district and "31340" not in district
    assert {a.parent.code for a in AdminUnit.objects.filter(code__in=district)} == {"930"}


def test_the_page_shows_each_communes_figures_worst_first(campaign, login):
    body = login(Role.PC06, "PC06").get(reverse("coverage", args=[C]), {"ngay": DAY2}).content.decode()
    assert re.search(r"31318</span></td>\s*<td class=\"wide\">[^<]*</td>\s*<td class=\"num\">6\.200</td>"
                     r"<td class=\"num\">145</td>\s*<td class=\"num\"><span[^>]*>[^<]*</span> 2,34%", body)
    assert body.index(">31321<") < body.index(">31340<") < body.index(">31318<")
    assert 'data-chart="ban-do-do-phu"' in body and 'id="ban-do-do-phu" type="application/json"' in body


def test_the_map_places_each_commune_at_its_coordinates_by_band(campaign, login):
    response = login(Role.PC06, "PC06").get(reverse("coverage", args=[C]), {"ngay": DAY2})
    option = response.context["map"]
    assert [s["symbol"] for s in option["series"][:len(BANDS)]] == [b[2] for b in BANDS]
    lat, lon = commune_coordinates(campaign.structure, ["31318"])["31318"]
    point = next(p for s in option["series"] for p in s["data"] if p["name"].startswith("Phường I "))
    assert point["value"][:3] == [lon, lat, 145 / 6200]
    assert "2,34%" in point["name"] and "145 / 6.200" in point["name"]
    first_band = {p["name"].split(" (")[0] for p in option["series"][0]["data"]}
    assert "Phường I" in first_band  # 2,34% is under 25%
    assert json.loads(json.dumps(option)) == option  # plain JSON: nothing the page's script would have to guess


def test_the_maps_axes_draw_a_degree_of_latitude_and_a_corrected_one_of_longitude_alike():
    places = [(9.6, 105.3), (9.9, 105.9), (9.7, 105.5)]
    bounds = _extent(places)
    x_span = (bounds["x"][1] - bounds["x"][0]) * math.cos(math.radians(9.75))
    y_span = bounds["y"][1] - bounds["y"][0]
    assert x_span == pytest.approx(y_span)
    assert bounds["x"][0] < 105.3 and bounds["x"][1] > 105.9 and bounds["y"][0] < 9.6 and bounds["y"][1] > 9.9


def test_a_communes_page_shows_the_machines_and_teams_that_worked_there_by_day(campaign, login):
    response = login(Role.DISTRICT, "CAH-VTH").get(reverse("coverage", args=[C]), {"ngay": DAY2, "xa": "31318"})
    assert response.status_code == 200
    assert [(d.day, d.machine, d.team_code, d.applications) for d in response.context["days"]] == [
        (dt.date(2021, 3, 2), "M-VTH-01", "TO-VTH-1", 60), (dt.date(2021, 3, 1), "M-VTH-01", "TO-VTH-1", 85)]
    assert response.context["row"].coverage == Fraction(145, 6200)


@pytest.mark.parametrize("role, unit", [(Role.DISTRICT, "CAH-VTH"), (Role.TEAM, "TO-VTH-1")])
def test_a_district_or_team_cannot_open_another_districts_commune(campaign, login, role, unit):
    client = login(role, unit)
    assert client.get(reverse("coverage", args=[C]), {"xa": "31340"}).status_code == 404
    body = client.get(reverse("coverage", args=[C])).content.decode()
    assert ">31318<" in body and ">31340<" not in body


def test_a_unit_in_scope_narrows_the_page_and_one_outside_is_not_found(campaign, login):
    pc06 = login(Role.PC06, "PC06")
    narrowed = pc06.get(reverse("coverage", args=[C]), {"don_vi": "CAH-NBA"})
    codes = {r.row.code for r in narrowed.context["rows"]}
    assert "31340" in codes and "31318" not in codes
    assert narrowed.context["page"].scope_name == "Công an thành phố Ngã Bảy"
    district = login(Role.DISTRICT, "CAH-VTH")
    assert district.get(reverse("coverage", args=[C]), {"don_vi": "CAH-NBA"}).status_code == 404
    assert district.get(reverse("machine_use", args=[C]), {"don_vi": "TO-NBA-1"}).status_code == 404


@pytest.mark.parametrize("value", ["x" * 500, "31318\x00", "../31318", "' OR 1=1 --"])
@pytest.mark.parametrize("name", ["xa", "don_vi"])
def test_a_hostile_code_is_not_found_never_an_error(campaign, login, name, value):
    response = login(Role.PC06, "PC06").get(reverse("coverage", args=[C]), {name: value})
    assert 400 <= response.status_code < 500


def test_the_coverage_page_reads_a_bounded_number_of_queries(campaign, login, django_assert_max_num_queries):
    client = login(Role.PC06, "PC06")
    client.get(reverse("coverage", args=[C]))  # the session and the user, read once
    with django_assert_max_num_queries(12):
        assert client.get(reverse("coverage", args=[C]), {"ngay": DAY2}).status_code == 200
    district = login(Role.DISTRICT, "CAH-VTH")
    with django_assert_max_num_queries(16):
        assert district.get(reverse("coverage", args=[C]), {"ngay": DAY2, "don_vi": "TO-VTH-1"}).status_code == 200


def test_the_other_pages_read_a_bounded_number_of_queries(campaign, login, django_assert_max_num_queries):
    client = login(Role.PC06, "PC06")
    client.get(reverse("machine_use", args=[C]))
    for name in ("machine_use", "not_reported", "coverage_xlsx", "machine_use_xlsx"):
        with django_assert_max_num_queries(12):
            assert client.get(reverse(name, args=[C]), {"ngay": DAY2}).status_code == 200


# --- machine use ------------------------------------------------------------------------------------------------

def test_machine_use_counts_days_held_from_the_start_and_days_with_intake_of_those(campaign):
    rows = [(r.machine, r.team_code, r.held, r.worked) for r in machine_use(campaign, None, dt.date(2021, 3, 2))]
    # S = 25/02: M-VTH-01 held the whole period (6 days to 02/03), worked 01/03 and 02/03; the NBA machines from 01/03.
    assert rows == [("M-NBA-02", "TO-NBA-1", 2, 0), ("M-VTH-01", "TO-VTH-1", 6, 2), ("M-NBA-01", "TO-NBA-1", 2, 1)]


def test_machine_use_of_a_district_holds_only_its_teams_machines(campaign, login):
    response = login(Role.DISTRICT, "CAH-VTH").get(reverse("machine_use", args=[C]), {"ngay": DAY2})
    assert [r.machine for r in response.context["rows"]] == ["M-VTH-01"]
    assert response.context["bars"]["series"][0]["data"] == [6]
    assert response.context["bars"]["series"][1]["data"] == [2]


# --- who has not reported ---------------------------------------------------------------------------------------

def test_the_teams_holding_a_machine_without_a_sent_report_are_listed_with_their_days_link(campaign, login):
    team = Unit.objects.get(campaign=campaign, code="TO-VTH-1")
    report_save(campaign=campaign, team=team, day=dt.date(2021, 3, 10), rows=[("M-VTH-01", "31318", 5)], actor="x")
    report_submit(campaign=campaign, team=team, day=dt.date(2021, 3, 10), actor="x")
    pc06 = login(Role.PC06, "PC06").get(reverse("not_reported", args=[C]), {"ngay": "2021-03-10"})
    assert [t.code for t in pc06.context["teams"]] == ["TO-NBA-1"]
    assert reverse("report_day", args=[C, "TO-NBA-1", "2021-03-10"]) in pc06.content.decode()
    district = login(Role.DISTRICT, "CAH-VTH").get(reverse("not_reported", args=[C]), {"ngay": "2021-03-10"})
    assert district.context["teams"] == [] and "TO-NBA-1" not in district.content.decode()


def test_the_campaign_navigation_links_the_pages(campaign, login):
    body = login(Role.DISTRICT, "CAH-VTH").get(reverse("campaign_detail", args=[C])).content.decode()
    assert reverse("coverage", args=[C]) in body and reverse("not_reported", args=[C]) in body


# --- workbooks ----------------------------------------------------------------------------------------------------

def _sheet(response):
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    content = b"".join(response.streaming_content)
    return openpyxl.load_workbook(io.BytesIO(content)).active, content


def _rows(ws, first_header: str):
    values = [[c.value for c in row] for row in ws.iter_rows()]
    top = next(i for i, v in enumerate(values) if v[0] == first_header)
    return values[top], values[top + 1:]


def test_the_coverage_workbook_holds_the_maps_data_as_numbers(campaign, login):
    ws, _content = _sheet(login(Role.DISTRICT, "CAH-VTH").get(reverse("coverage_xlsx", args=[C]), {"ngay": DAY2}))
    header, rows = _rows(ws, "STT")
    assert header[:7] == ["STT", "Mã xã", "Xã, phường, thị trấn", "Huyện", "Số người trong độ tuổi",
                          "Hồ sơ đã thu nhận", "Độ phủ"]
    line = next(r for r in rows if r[1] == "31318")
    lat, lon = commune_coordinates(campaign.structure, ["31318"])["31318"]
    assert line[4:] == [6200, 145, pytest.approx(145 / 6200), lat, lon]
    assert "31340" not in {r[1] for r in rows}
    assert any("ĐẾN NGÀY 02/03/2021" in str(c.value) for c in ws["A"])


def test_a_hostile_commune_name_is_written_as_text_never_as_a_formula(campaign, login):
    AdminUnit.objects.filter(structure=campaign.structure, code="31318").update(name=HOSTILE)
    ws, content = _sheet(login(Role.PC06, "PC06").get(reverse("coverage_xlsx", args=[C]), {"ngay": DAY2}))
    cell = next(c for c in ws["C"] if c.value == HOSTILE)
    assert cell.data_type == "s" and cell.quotePrefix
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()


def test_a_hostile_commune_name_is_shown_as_text_on_the_page_and_in_the_maps_data(campaign, login):
    AdminUnit.objects.filter(structure=campaign.structure, code="31318").update(name="<script>alert(1)</script>")
    body = login(Role.PC06, "PC06").get(reverse("coverage", args=[C])).content.decode()
    assert "<script>alert(1)" not in body
    assert "&lt;script&gt;alert(1)" in body and "\\u003Cscript\\u003Ealert(1)" in body


def test_the_machine_use_workbook_escapes_a_hostile_team_name(campaign, login):
    Unit.objects.filter(campaign=campaign, code="TO-VTH-1").update(name=HOSTILE)
    ws, _content = _sheet(login(Role.PC06, "PC06").get(reverse("machine_use_xlsx", args=[C]), {"ngay": DAY2}))
    header, rows = _rows(ws, "STT")
    assert header == ["STT", "Máy", "Mã tổ", "Tổ", "Ngày được giao", "Ngày có thu nhận", "Tỷ lệ ngày làm việc"]
    assert [r[1:6] for r in rows] == [["M-NBA-02", "TO-NBA-1", "Tổ cấp CCCD lưu động số 1 Ngã Bảy", 2, 0],
                                      ["M-VTH-01", "TO-VTH-1", HOSTILE, 6, 2],
                                      ["M-NBA-01", "TO-NBA-1", "Tổ cấp CCCD lưu động số 1 Ngã Bảy", 2, 1]]
    assert next(c for c in ws["D"] if c.value == HOSTILE).quotePrefix


def test_the_same_data_gives_the_same_workbook(campaign, login):
    client = login(Role.PC06, "PC06")
    first = b"".join(client.get(reverse("coverage_xlsx", args=[C]), {"ngay": DAY2}).streaming_content)
    again = b"".join(client.get(reverse("coverage_xlsx", args=[C]), {"ngay": DAY2}).streaming_content)
    assert first == again


# --- the communes' coordinates ------------------------------------------------------------------------------------

def test_the_coordinates_of_communes_come_from_the_packages_dataset_for_each_structure():
    legacy = commune_coordinates("legacy", ["31318", "31340", "99999"])
    assert set(legacy) == {"31318", "31340"}
    assert legacy["31318"] == pytest.approx((9.77818, 105.466855))
    assert all(9 < lat < 11 and 105 < lon < 107 for lat, lon in legacy.values())  # Hậu Giang
    assert commune_coordinates("legacy", []) == {}


def test_the_dataset_is_read_once_per_process_and_structure():
    _dataset_coordinates.cache_clear()
    commune_coordinates("legacy", ["31318"])
    commune_coordinates("legacy", ["31321"])
    info = _dataset_coordinates.cache_info()
    assert (info.misses, info.hits) == (1, 1)


def test_a_2025_commune_has_its_own_coordinates():
    from vietnamadminunits.database.main import query

    code = query("SELECT wardCode FROM admin_units WHERE provinceCode = '92' AND wardLat IS NOT NULL LIMIT 1")[0][
        "wardCode"]
    (lat, lon), = commune_coordinates("2025", [code]).values()
    assert 9 < lat < 11 and 105 < lon < 107  # Cần Thơ (with Hậu Giang since 2025)
