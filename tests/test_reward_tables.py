"""The Excel tables of documents.md (`thidua.documents.tables.reward_workbook`): the frozen standings with every
point, the teams, every nomination, the reward list whose totals are the money's; names in the Vietnamese order,
hostile text kept as text, numbers as numbers, ready to print, the same bytes for the same data."""

import datetime as dt
import hashlib
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from awarded import APPROVED_ORDER, HOSTILE, decided, rule, tied
from lifecycle import advance_to

from tests.test_score_command import COMPLETING
from thidua.awards.models import Snapshot
from thidua.awards.money import money
from thidua.campaigns.models import Campaign, Status
from thidua.documents.tables import NOMINATION_HEADERS, REWARD_HEADERS, STANDING_HEADERS, reward_workbook
from thidua.lib.sheets import SYNTHETIC_NOTE
from thidua.units.models import Membership, Officer, Unit

pytestmark = pytest.mark.django_db
SHEETS = ["Xếp hạng", "Các tổ", "Đề nghị", "Khen thưởng"]


@pytest.fixture
def awarded(campaign, write_source, run_import) -> Campaign:
    return decided(campaign, write_source, run_import)


def workbook_bytes(campaign, snapshot=None) -> bytes:
    buffer = io.BytesIO()
    reward_workbook(campaign, snapshot, buffer)
    return buffer.getvalue()


def table(ws, headers) -> list[dict]:
    """Return the rows below a sheet's header row as {header: value}."""
    top = next(r for r in range(1, 12) if ws.cell(r, 1).value == headers[0])
    assert [ws.cell(top, j).value for j in range(1, len(headers) + 1)] == list(headers)
    rows = []
    for r in range(top + 1, ws.max_row + 1):
        values = [ws.cell(r, j).value for j in range(1, len(headers) + 1)]
        if any(v is not None for v in values):
            rows.append(dict(zip(headers, values, strict=True)))
    return rows


@pytest.fixture
def book(awarded):
    return openpyxl.load_workbook(io.BytesIO(workbook_bytes(awarded)))


def test_the_workbook_holds_the_standings_the_teams_the_nominations_and_the_rewards(book):
    assert book.sheetnames == SHEETS


def test_the_standings_hold_every_point_as_numbers_and_the_award_as_ruled(book):
    rows = {r["Mã"]: r for r in table(book["Xếp hạng"], STANDING_HEADERS)}
    nba = rows["CAH-NBA"]
    assert (nba["Nhóm"], nba["Hạng"], nba["Chỉ tiêu"], nba["Thu nhận"]) == ("Công an cấp huyện", 1, 17_280, 20_105)
    assert (nba["Tỷ lệ"], nba["Điểm thu nhận"], nba["Điểm thời gian"], nba["Tổng điểm"]) == (
        pytest.approx(1.1635), 73, 30, 103)
    assert nba["Ngày hoàn thành"] == dt.datetime(2021, 5, 5)
    assert (nba["Khen thưởng"], nba["Tiền thưởng giải (đ)"], nba["Điểm thi đua cộng"]) == ("Hạng Nhất", 10_000_000, 3)
    assert (rows["CAH-VTH"]["Khen thưởng"], rows["CAH-VTH"]["Tiền thưởng giải (đ)"]) == ("Hạng Nhì", 7_000_000)
    assert rows["CAH-CTA"]["Hạng"] is None and rows["CAH-CTA"]["Tổng điểm"] == 0
    teams = {r["Mã"]: r for r in table(book["Các tổ"], STANDING_HEADERS[1:14])}
    assert set(teams) == {"TO-VTH-1", "TO-NBA-1"} and teams["TO-NBA-1"]["Thu nhận"] == 20_105


def test_numbers_are_shown_the_vietnamese_way(book):
    ws = book["Khen thưởng"]
    amount = next(c for row in ws.iter_rows() for c in row if c.value == 10_000_000)
    assert amount.number_format == "[$-42A]#,##0" and amount.data_type == "n"
    points = next(c for row in book["Xếp hạng"].iter_rows() for c in row if c.value == Decimal("103.00") or
                  c.value == 103)
    assert points.number_format == "[$-42A]0.00"


def test_the_reward_totals_are_the_moneys(awarded, book):
    m = money(awarded, snapshot=Snapshot.objects.get(campaign=awarded), approved_only=True)
    rows = table(book["Khen thưởng"], REWARD_HEADERS)
    total = next(r for r in rows if r["Họ tên / tập thể"] == "TỔNG CỘNG")
    assert (total["Tiền thưởng giải (đ)"], total["Tiền kèm Bằng khen (đ)"], total["Cộng (đ)"]) == (
        m.prizes_vnd, m.statutory_vnd, m.total_vnd)
    assert m.total_vnd == 17_000_000 + 9 * 1_490_000 + 3 * 1_490_000  # 2 × 1.490.000 for each of 3 collectives
    lines = [r for r in rows if isinstance(r["STT"], int)]
    assert sum(r["Cộng (đ)"] for r in lines) == m.total_vnd
    words = [c.value for row in book["Khen thưởng"].iter_rows() for c in row if str(c.value).startswith("Bằng chữ")]
    assert words == ["Bằng chữ: Ba mươi bốn triệu tám trăm tám mươi nghìn đồng."]


def test_the_individuals_are_in_the_vietnamese_order_then_unit_then_code(book):
    rows = table(book["Khen thưởng"], REWARD_HEADERS)
    start = next(i for i, r in enumerate(rows) if r["Họ tên / tập thể"] == "Cá nhân")
    people = [r["Mã"] for r in rows[start + 1:] if isinstance(r["STT"], int)]
    assert people == APPROVED_ORDER
    collectives = [r["Mã"] for r in rows[:start] if isinstance(r["STT"], int)]
    assert collectives == ["CAH-NBA", "CAH-VTH", "TO-VTH-1"]


def test_every_nomination_is_listed_with_its_status_and_standards(book):
    rows = table(book["Đề nghị"], NOMINATION_HEADERS)
    assert len(rows) == 9
    returned = next(r for r in rows if r["Mã"] == "CB-003")
    assert returned["Trạng thái"] == "Trả lại" and returned["Cấp"] == "Cấp tỉnh"
    an = next(r for r in rows if r["Mã"] == "CB-001")
    assert (an["Đơn vị đề nghị"], an["Cấp bậc"], an["Chức vụ"], an["Trạng thái"]) == (
        "Công an thành phố Vị Thanh", "Đại úy", "Tổ trưởng", "Hội đồng đã duyệt")
    assert an["Tiêu chuẩn"] == "Thuộc đơn vị đề nghị: 25/02/2021 – 01/07/2021. Trực tiếp cấp CCCD: có."
    assert [r["Mã"] for r in rows if r["Đơn vị đề nghị"] == "Công an thành phố Ngã Bảy"] == [
        "CB-104", "CB-101", "CB-002"]


def test_the_standards_show_the_days_in_the_nominating_units_subtree_merged(awarded):
    officer = Officer.objects.get(campaign=awarded, code="CB-001")
    officer.memberships.update(end=dt.date(2021, 3, 31))
    vth = {u.code: u for u in Unit.objects.filter(campaign=awarded, code__in=["TO-VTH-1", "CAH-VTH", "TO-NBA-1"])}
    Membership.objects.create(officer=officer, unit=vth["CAH-VTH"], start=dt.date(2021, 4, 1),
                              end=dt.date(2021, 4, 30))
    Membership.objects.create(officer=officer, unit=vth["TO-NBA-1"], start=dt.date(2021, 5, 1))
    Membership.objects.create(officer=officer, unit=vth["TO-VTH-1"], start=dt.date(2021, 6, 10),
                              end=dt.date(2021, 6, 20))
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(awarded)))
    an = next(r for r in table(book["Đề nghị"], NOMINATION_HEADERS) if r["Mã"] == "CB-001")
    assert an["Tiêu chuẩn"] == ("Thuộc đơn vị đề nghị: 25/02/2021 – 30/04/2021; 10/06/2021 – 20/06/2021. "
                                "Trực tiếp cấp CCCD: có.")


def test_a_hostile_name_stays_text_never_a_formula(awarded):
    data = workbook_bytes(awarded)
    book = openpyxl.load_workbook(io.BytesIO(data))
    cells = [c for ws in book for row in ws.iter_rows() for c in row if c.value == HOSTILE]
    assert len(cells) >= 3 and all(c.data_type == "s" and c.quotePrefix for c in cells)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert not any(b"<f>" in z.read(name) for name in z.namelist() if name.startswith("xl/worksheets/"))


def test_the_header_rows_are_frozen_and_every_sheet_prints_on_a4(book):
    for ws in book:
        top = ws.freeze_panes
        assert top is not None and ws.print_title_rows
        assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4) and ws.page_setup.orientation == "landscape"
        assert ws.cell(int(top[1:]) - 1, 1).font.bold


def test_the_titles_say_the_result_state_and_the_decision(book):
    titles = [book["Khen thưởng"].cell(r, 1).value for r in range(1, 5)]
    assert titles[2].startswith("Kết quả chính thức · bản chốt số 1 đến ngày 01/07/2021")
    assert titles[3] == "Quyết định số 1234/QĐ-UBND ngày 12 tháng 7 năm 2021"
    assert SYNTHETIC_NOTE not in titles


def test_a_preliminary_workbook_says_so_and_a_synthetic_campaign_is_labelled(campaign, write_source, run_import):
    assert run_import(write_source(COMPLETING, "xlsx")).ok
    scored = advance_to(campaign, Status.SCORED)
    Campaign.objects.filter(pk=scored.pk).update(synthetic=True)
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(Campaign.objects.get(pk=scored.pk))))
    for ws in book:
        titles = [ws.cell(r, 1).value for r in range(1, 5)]
        assert titles[2].startswith("Kết quả sơ bộ") and titles[3] == SYNTHETIC_NOTE
    rows = table(book["Khen thưởng"], REWARD_HEADERS)
    assert [r["Mã"] for r in rows if isinstance(r["STT"], int)] == ["CAH-NBA", "CAH-VTH"]


def test_a_campaign_not_yet_scored_has_no_workbook(campaign):
    with pytest.raises(ValueError, match="chưa có bản chốt kết quả"):
        workbook_bytes(campaign)


def test_the_same_data_gives_the_same_bytes(awarded, tmp_path):
    first = hashlib.sha256(workbook_bytes(awarded)).hexdigest()
    path = tmp_path / "khen-thuong.xlsx"
    reward_workbook(Campaign.objects.get(pk=awarded.pk), Snapshot.objects.get(campaign=awarded), path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == first


def test_the_file_carries_the_decisions_date_not_the_time_of_writing(awarded):
    data = workbook_bytes(awarded)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert {info.date_time for info in z.infolist()} == {(2021, 7, 12, 0, 0, 0)}
        core = z.read("docProps/core.xml").decode()
    assert core.count("2021-07-12T00:00:00Z") == 2
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.properties.created == book.properties.modified == dt.datetime(2021, 7, 12)


def test_a_tie_waiting_for_the_council_is_shown_and_left_out_of_the_money(awarded):
    snapshot = tied(awarded)
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(awarded, snapshot)))
    rows = {r["Mã"]: r for r in table(book["Xếp hạng"], STANDING_HEADERS)}
    for code in ("CAH-NBA", "CAH-VTH"):
        assert (rows[code]["Hạng"], rows[code]["Đồng hạng"]) == (1, "có")
        assert rows[code]["Khen thưởng"] == "Đồng hạng giải, chờ Hội đồng quyết định"
        assert rows[code]["Tiền thưởng giải (đ)"] is None
    notes = [c.value for row in book["Khen thưởng"].iter_rows() for c in row if isinstance(c.value, str)]
    assert any(n.startswith("Còn giải đồng hạng chờ Hội đồng") for n in notes)
    reward = table(book["Khen thưởng"], REWARD_HEADERS)
    assert "CAH-NBA" not in [r["Mã"] for r in reward]


def test_the_councils_ruling_gives_the_tiers_in_its_order(awarded):
    snapshot = tied(awarded)
    rule(snapshot, ["CAH-VTH", "CAH-NBA"])
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(awarded, snapshot)))
    rows = {r["Mã"]: r for r in table(book["Xếp hạng"], STANDING_HEADERS)}
    assert (rows["CAH-VTH"]["Khen thưởng"], rows["CAH-VTH"]["Tiền thưởng giải (đ)"]) == (
        "Hạng Nhất (theo phán quyết của Hội đồng)", 10_000_000)
    assert (rows["CAH-NBA"]["Khen thưởng"], rows["CAH-NBA"]["Tiền thưởng giải (đ)"]) == (
        "Hạng Nhì (theo phán quyết của Hội đồng)", 7_000_000)
    total = next(r for r in table(book["Khen thưởng"], REWARD_HEADERS) if r["Họ tên / tập thể"] == "TỔNG CỘNG")
    assert total["Cộng (đ)"] == money(awarded, snapshot=snapshot).total_vnd
