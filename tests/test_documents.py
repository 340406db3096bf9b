"""The Word documents of docs/documents.md (Nghị định 30/2020/NĐ-CP, Phụ lục I), the register of issued documents,
`thidua documents` and the site's downloads — on the reference campaign with `completed`'s data: CAH-NBA first
(10.000.000 đ), CAH-VTH second (7.000.000 đ), CAH-CTA unranked; nominations made directly in the database."""

import copy
import datetime as dt
import hashlib
import importlib.util
import io
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt
from lifecycle import advance_to

from thidua.accounts.models import Role
from thidua.audit.models import Change
from thidua.awards.models import IssuedDocument, Nomination, NominationKind, NominationStatus
from thidua.awards.services import scale_approval_current
from thidua.campaigns.config import ConfigError, config_from_json, load_config, parse_config
from thidua.campaigns.models import Campaign, Status
from thidua.campaigns.services import CampaignError, campaign_init
from thidua.documents.catalog import KINDS, render
from thidua.documents.facts import DocumentError
from thidua.documents.services import issue
from thidua.units.models import Membership, Officer, Unit

pytestmark = pytest.mark.django_db

H = {
    "don_vi": ["ma_don_vi", "ten_don_vi", "loai", "ma_don_vi_cap_tren", "dia_ban", "nhom_thi_dua"],
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
# Officers to nominate: names that sort differently in the Vietnamese order (given name first) and by code.
OFFICERS = [
    ("CB-101", "Trần Văn Ân", "TO-NBA-1", "Thiếu tá", "Đội trưởng"),
    ("CB-102", "Lê Thị An", "TO-VTH-1", "Đại úy", "Tổ phó"),
    ("CB-103", "Nguyễn Văn Bình", "TO-NBA-1", "Trung úy", "Cán bộ"),
    ("CB-104", "Lê Thị An", "TO-NBA-1", "Thượng úy", "Cán bộ"),
]


def _moment(day: dt.date):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9)))


@pytest.fixture
def completed(campaign, write_source, run_import):
    report = run_import(write_source(COMPLETING, "xlsx"))
    assert report.ok, [str(e) for e in report.errors]
    return campaign


def nominate(campaign, status=NominationStatus.APPROVED):
    """Nominate the four officers (district level, for the two prize winners) and PC06 as a collective."""
    units = {u.code: u for u in Unit.objects.filter(campaign=campaign)}
    for code, name, unit, rank, position in OFFICERS:
        officer = Officer.objects.create(campaign=campaign, code=code, full_name=name, rank=rank, position=position,
                                         issues_cards=True)
        Membership.objects.create(officer=officer, unit=units[unit], start=campaign.start)
    places: dict[str, int] = {}
    for code, _, unit, _, _ in OFFICERS:
        nominating = units["CAH-NBA" if unit == "TO-NBA-1" else "CAH-VTH"]
        places[nominating.code] = places.get(nominating.code, 0) + 1
        Nomination.objects.create(
            campaign=campaign, level="district", kind=NominationKind.INDIVIDUAL, nominating_unit=nominating,
            group="cap_huyen", place=places[nominating.code], officer=Officer.objects.get(campaign=campaign, code=code),
            achievements="Trực tiếp thu nhận hồ sơ", status=status, proposed_by="huyen",
            proposed_at=_moment(dt.date(2021, 7, 5)))
    Nomination.objects.create(
        campaign=campaign, level="province", kind=NominationKind.COLLECTIVE, nominating_unit=units["PC06"],
        group="cap_tinh", place=1, unit=units["CAH-CTA"], achievements="Hỗ trợ các địa bàn", status=status,
        proposed_by="pc06", proposed_at=_moment(dt.date(2021, 7, 5)))


@pytest.fixture
def scored(completed):
    campaign = advance_to(completed, Status.SCORED)
    nominate(campaign)
    return campaign


@pytest.fixture
def decided(completed):
    campaign = advance_to(completed, Status.PUBLISHED)
    nominate(campaign)
    return advance_to(campaign, Status.DECIDED)


CAMPAIGN_FILE = Path(__file__).resolve().parent.parent / "campaigns" / "hau-giang-2021.toml"
WORD = ("to_trinh", "quyet_dinh", "bao_cao")
OTHERS = ("khen_thuong_xlsx", "bang_khen", "bang_khen_thu")
HAS_OTHERS = all(importlib.util.find_spec(f"thidua.documents.{m}") for m in ("tables", "certificates"))
# The totals of `nominate` once decided: prizes 10.000.000 + 7.000.000; a collective's Bằng khen 2 × 1.490.000
# (three collectives), an individual's 1.490.000 (four).
TOTAL = "31.900.000 đồng (Ba mươi mốt triệu chín trăm nghìn đồng)"
# The individuals in the Vietnamese order: the given name first (An < Ân < Bình), the same name by unit.
ANNEX_ORDER = [("Lê Thị An", "Tổ cấp CCCD lưu động số 1 Ngã Bảy"), ("Lê Thị An", "Tổ cấp CCCD lưu động số 1 Vị Thanh"),
               ("Trần Văn Ân", "Tổ cấp CCCD lưu động số 1 Ngã Bảy"),
               ("Nguyễn Văn Bình", "Tổ cấp CCCD lưu động số 1 Ngã Bảy")]


def word(data: bytes) -> Document:
    return Document(io.BytesIO(data))


def paragraphs(doc: Document) -> list[str]:
    """Return every paragraph's text, the tables' cells included, in order."""
    found = []
    for block in doc.element.body.iter(qn("w:p")):
        found.append("".join(t.text or "" for t in block.iter(qn("w:t"))))
    return found


def header_cells(doc: Document) -> tuple[list[str], list[str], str, str]:
    table = doc.tables[0]
    left = [p.text for p in table.cell(0, 0).paragraphs if p.text]
    right = [p.text for p in table.cell(0, 1).paragraphs if p.text]
    return left, right, table.cell(1, 0).paragraphs[0].text, table.cell(1, 1).paragraphs[0].text


def rows_of(table) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in table.rows]


def find_table(doc: Document, first_header: str, second_header: str):
    return next(t for t in doc.tables if rows_of(t)[0][:2] == [first_header, second_header])


# --- settings -----------------------------------------------------------------------------------------------------

def test_document_settings_round_trip_through_the_database_form():
    config = load_config(CAMPAIGN_FILE)
    with_plan = parse_config({**_toml(), "documents": {**_toml()["documents"], "plan_number": 7,
                                                       "plan_date": dt.date(2021, 3, 1)}})
    for c in (config, with_plan):
        assert config_from_json(copy.deepcopy(c.as_json())) == c
    assert with_plan.documents.plan_number == 7 and with_plan.documents.plan_date == dt.date(2021, 3, 1)
    assert config.documents.police.symbol == "CAT-PC06" and config.documents.committee.name == ("ỦY BAN NHÂN DÂN",
                                                                                                "TỈNH HẬU GIANG")


def _toml() -> dict:
    import tomllib
    return tomllib.loads(CAMPAIGN_FILE.read_text(encoding="utf-8"))


def test_every_error_of_the_document_settings_is_named():
    data = _toml()
    data["documents"]["police"]["symbol"] = "CAT/PC06"
    data["documents"]["proposal"]["signer"] = {"authority": ["KT. GIÁM ĐỐC"]}
    data["documents"]["decision"]["recipients"] = []
    data["documents"]["plan_number"] = "mười"
    data["documents"]["unknown"] = 1
    with pytest.raises(ConfigError) as caught:
        parse_config(data)
    errors = caught.value.errors
    assert "documents.police.symbol: «CAT/PC06» chỉ được gồm chữ, số và dấu -." in errors
    assert "documents.proposal.signer: thiếu khóa bắt buộc «position»." in errors
    assert "documents.decision.recipients: cần ít nhất một dòng." in errors
    assert "documents.plan_number: phải là số nguyên, không phải «mười»." in errors
    assert "documents: khóa «unknown» không được biết đến." in errors


def test_the_wording_changes_after_scoring_and_the_scale_stays_locked(completed):
    campaign = advance_to(completed, Status.SCORED)
    data = _toml()
    data["documents"]["money_source"] = "Quỹ Thi đua, khen thưởng tỉnh"
    campaign, outcome = campaign_init(config=parse_config(data), actor="pc06", reason="Sửa nguồn kinh phí")
    assert outcome == "updated" and campaign.status == Status.SCORED
    campaign.refresh_from_db()
    assert campaign.config.documents.money_source == "Quỹ Thi đua, khen thưởng tỉnh"
    assert scale_approval_current(campaign)  # the council's approval covers the scale, not the wording
    assert Change.objects.filter(entity="campaign", changeset__reason="Sửa nguồn kinh phí").exists()
    data["scale"]["intake_points"] = 60
    with pytest.raises(CampaignError, match="không sửa được cấu hình"):
        campaign_init(config=parse_config(data), actor="pc06", reason="Đổi thang điểm")


# --- the documents ----------------------------------------------------------------------------------------------

def test_the_proposal_before_its_number_leaves_the_space_and_lists_the_proposals(completed):
    campaign = advance_to(completed, Status.SCORED)
    nominate(campaign, status=NominationStatus.PROPOSED)
    doc = word(render(campaign, "to_trinh"))
    left, right, number, place_date = header_cells(doc)
    assert left == ["CÔNG AN TỈNH HẬU GIANG", "PHÒNG CẢNH SÁT", "QUẢN LÝ HÀNH CHÍNH", "VỀ TRẬT TỰ XÃ HỘI"]
    assert right == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    assert number == "Số:       /TTr-CAT-PC06"
    assert place_date == "Hậu Giang, ngày      tháng      năm 2021"
    names = [row[1] for row in rows_of(find_table(doc, "STT", "Họ và tên"))[1:-1]]
    assert names == [name for name, _ in ANNEX_ORDER]  # proposed, not yet approved: listed
    decision = word(render(campaign, "quyet_dinh"))
    assert rows_of(find_table(decision, "STT", "Họ và tên"))[1:-1] == []  # the decision awards approved ones only


def test_the_proposal_says_the_results_the_proposals_and_the_budget(decided):
    doc = word(render(decided, "to_trinh"))
    _, _, number, place_date = header_cells(doc)
    assert number == "Số: 15/TTr-CAT-PC06"
    assert place_date == "Hậu Giang, ngày 10 tháng 7 năm 2021"
    text = paragraphs(doc)
    assert "TỜ TRÌNH" in text
    assert any(t.startswith("Về việc đề nghị tặng Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh") for t in text)
    assert "Kính gửi:" in text
    assert "- Hội đồng Thi đua - Khen thưởng tỉnh Hậu Giang;" in text
    assert "- Chủ tịch Ủy ban nhân dân tỉnh Hậu Giang." in text
    grounds = [t for t in text if t.startswith("Căn cứ")]
    assert grounds[0].startswith("Căn cứ Quyết định số 1368/QĐ-TTg ngày 03 tháng 9 năm 2020")
    assert all(g.endswith(";") for g in grounds[:-1]) and grounds[-1].endswith(".")
    assert "Kế hoạch số \u00a0\u00a0\u00a0\u00a0\u00a0\u00a0/KH-UBND ngày" in grounds[-1]  # the plan's number not known
    standings = rows_of(find_table(doc, "Hạng", "Đơn vị"))
    assert standings[1] == ["1", "Công an thành phố Ngã Bảy", "17.280", "20.105", "116,35%", "05/05/2021", "103,00",
                            "Hạng Nhất"]
    assert standings[2][:2] == ["2", "Công an thành phố Vị Thanh"] and standings[2][-1] == "Hạng Nhì"
    collectives = rows_of(find_table(doc, "STT", "Tập thể"))
    assert collectives[1] == ["1", "Công an thành phố Ngã Bảy", "Hạng Nhất — Công an cấp huyện", "10.000.000",
                              "2.980.000", "12.980.000"]
    assert collectives[-1] == ["", "Tổng cộng", "", "17.000.000", "8.940.000", "25.940.000"]
    individuals = rows_of(find_table(doc, "STT", "Họ và tên"))
    assert [(r[1], r[3]) for r in individuals[1:-1]] == ANNEX_ORDER
    assert individuals[-1][-1] == "5.960.000"
    assert any(f"Tổng kinh phí khen thưởng: {TOTAL}" in t for t in text)
    assert any("nguồn kinh phí: Quỹ Thi đua, khen thưởng của tỉnh năm 2021." in t for t in text)
    assert "Nơi nhận:" in text and "- Như trên;" in text and "- Lưu: VT, PC06." in text
    assert "TRƯỞNG PHÒNG" in text


def test_the_decision_awards_the_annexed_lists_with_the_money_and_who_executes_it(decided):
    doc = word(render(decided, "quyet_dinh"))
    left, _, number, place_date = header_cells(doc)
    assert left == ["ỦY BAN NHÂN DÂN", "TỈNH HẬU GIANG"]
    assert all(run.bold for p in doc.tables[0].cell(0, 0).paragraphs for run in p.runs)
    assert number == "Số: 1234/QĐ-UBND" and place_date == "Hậu Giang, ngày 12 tháng 7 năm 2021"
    text = paragraphs(doc)
    assert "QUYẾT ĐỊNH" in text and "CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH HẬU GIANG" in text and "QUYẾT ĐỊNH:" in text
    assert ("Xét đề nghị của Trưởng phòng Cảnh sát quản lý hành chính về trật tự xã hội Công an tỉnh tại Tờ trình số "
            "15/TTr-CAT-PC06 ngày 10 tháng 7 năm 2021." in text)
    article = {t[:7]: t for t in text if t.startswith("Điều ")}
    assert "cho 03 tập thể và 04 cá nhân (có danh sách kèm theo tại Phụ lục I và Phụ lục II)" in article["Điều 1."]
    assert f"Tổng số tiền: {TOTAL}. Nguồn kinh phí: Quỹ Thi đua, khen thưởng của tỉnh năm 2021." in article["Điều 2."]
    assert article["Điều 3."].endswith("và các tập thể, cá nhân có tên tại Điều 1 chịu trách nhiệm thi hành Quyết "
                                       "định này./.")
    assert "Nguyễn Văn A" in text  # the signer the decision step recorded
    assert "- Như Điều 3;" in text
    assert "Phụ lục I" in text and "Phụ lục II" in text
    assert "(Kèm theo Quyết định số 1234/QĐ-UBND ngày 12 tháng 7 năm 2021 của Chủ tịch Ủy ban nhân dân tỉnh Hậu " \
           "Giang)" in text
    collectives = rows_of(find_table(doc, "STT", "Tên tập thể"))
    assert [r[1] for r in collectives[1:-1]] == ["Công an thành phố Ngã Bảy", "Công an thành phố Vị Thanh",
                                                 "Công an huyện Châu Thành A"]
    assert collectives[-1][-1] == "25.940.000"
    individuals = rows_of(find_table(doc, "STT", "Họ và tên"))
    assert individuals[0] == ["STT", "Họ và tên", "Cấp bậc, chức vụ", "Đơn vị", "Số tiền (đồng)"]
    assert [(r[1], r[3]) for r in individuals[1:-1]] == ANNEX_ORDER
    assert individuals[1] == ["1", "Lê Thị An", "Thượng úy, Cán bộ", "Tổ cấp CCCD lưu động số 1 Ngã Bảy", "1.490.000"]
    # Each annex is a section of its own whose pages are numbered from 1, its first page without the number.
    sections = doc.sections
    assert len(sections) == 3
    for section in sections[1:]:
        assert section._sectPr.find(qn("w:pgNumType")).get(qn("w:start")) == "1"
        assert section.different_first_page_header_footer


def test_the_report_gives_the_figures_the_chart_the_standings_and_the_bonus_points(decided):
    data = render(decided, "bao_cao")
    doc = word(data)
    _, _, number, place_date = header_cells(doc)
    assert number == "Số:       /BC-CAT-PC06" and place_date == "Hậu Giang, ngày      tháng      năm 2021"
    text = paragraphs(doc)
    assert "BÁO CÁO" in text and "Kính gửi: Hội đồng Thi đua - Khen thưởng tỉnh Hậu Giang." in text
    figures = next(t for t in text if t.startswith("Thực hiện Kế hoạch"))
    assert "thu nhận 36.290 hồ sơ" in figures and "chỉ tiêu 32.520 hồ sơ, đạt 111,59%" in figures
    assert "02/03 đơn vị cấp huyện hoàn thành chỉ tiêu trước thời hạn, sớm nhất 84 ngày, trung bình 70,5 ngày." \
        in figures
    coverage = rows_of(find_table(doc, "STT", "Huyện, thị xã, thành phố"))
    assert coverage[-1][0:2] == ["", "Toàn tỉnh"]
    assert len(coverage) >= 3
    standings = rows_of(find_table(doc, "Hạng", "Đơn vị"))
    assert standings[1][5] == "05/05/2021 (57 ngày)" and standings[2][5] == "08/04/2021 (84 ngày)"
    bonus = rows_of(find_table(doc, "Giải", "Đơn vị"))
    assert bonus[1:] == [["Hạng Nhất", "Công an thành phố Ngã Bảy", "+3"], ["Hạng Nhì", "Công an thành phố Vị Thanh",
                                                                           "+2"]]
    assert any(t.startswith("Phần nhận xét, đánh giá và bài học kinh nghiệm được tổng hợp") for t in text)
    assert len(doc.inline_shapes) == 1
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        png = z.read("word/media/image1.png")
    assert png.startswith(b"\x89PNG") and b"Software" not in png and b"tIME" not in png


def test_the_reports_lessons_come_from_the_settings(decided):
    data = _toml()
    data["documents"]["lessons"] = ["Phân công máy theo địa bàn đông dân ngay từ tuần đầu."]
    campaign_init(config=parse_config(data), actor="pc06", reason="Bổ sung bài học kinh nghiệm")
    text = paragraphs(word(render(Campaign.objects.get(pk=decided.pk), "bao_cao")))
    assert "Phân công máy theo địa bàn đông dân ngay từ tuần đầu." in text
    assert not any(t.startswith("Phần nhận xét, đánh giá") for t in text)


def test_the_report_cumulates_each_districts_intake_day_by_day(decided):
    from thidua.documents.facts import cumulative_intake
    days, series = cumulative_intake(decided, ["CAH-VTH", "CAH-NBA", "CAH-CTA"])
    assert days[0] == decided.start and days[-1] == decided.deadline
    at = days.index
    assert series["CAH-VTH"][at(dt.date(2021, 3, 1))] == 125 and series["CAH-VTH"][-1] == 16_185
    assert series["CAH-NBA"][at(dt.date(2021, 5, 5))] == 20_105 and series["CAH-CTA"][-1] == 0


@pytest.mark.parametrize("kind", WORD)
def test_each_document_has_the_page_and_type_of_the_decree(decided, kind):
    doc = word(render(decided, kind))
    for section in doc.sections:
        assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
        assert Mm(20) <= section.top_margin <= Mm(25) and Mm(20) <= section.bottom_margin <= Mm(25)
        assert Mm(30) <= section.left_margin <= Mm(35) and Mm(15) <= section.right_margin <= Mm(20)
    first = doc.sections[0]
    assert first.different_first_page_header_footer
    assert first.first_page_header.paragraphs[0].text == ""
    number = first.header.paragraphs[0]
    assert number.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert "PAGE" in "".join(t.text or "" for t in number._p.iter(qn("w:instrText")))
    normal = doc.styles["Normal"]
    assert normal.font.name == "Times New Roman" and Pt(13) <= normal.font.size <= Pt(14)
    assert normal.element.rPr.rFonts.get(qn("w:eastAsia")) == "Times New Roman"
    body = [p for p in doc.paragraphs if p.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY and p.text]
    assert len(body) >= 3
    for p in body:
        fmt = p.paragraph_format
        assert Cm(1) <= fmt.first_line_indent <= Cm(1.27) and fmt.space_after >= Pt(6)
        assert 1 <= fmt.line_spacing <= 1.5
        assert all(Pt(13) <= run.font.size <= Pt(14) for run in p.runs)
    signature = doc.tables[-1] if kind != "quyet_dinh" else next(t for t in doc.tables if t.cell(0, 0).text
                                                                 .startswith("Nơi nhận:"))
    received = signature.cell(0, 0).paragraphs
    assert received[0].text == "Nơi nhận:" and received[0].runs[0].font.size == Pt(12)
    assert received[0].runs[0].bold and received[0].runs[0].italic
    assert all(p.runs[0].font.size == Pt(11) for p in received[1:])
    assert received[-1].text.startswith("- Lưu: VT,") and received[-1].text.endswith(".")
    title = next(p for p in doc.paragraphs if p.text in ("TỜ TRÌNH", "QUYẾT ĐỊNH", "BÁO CÁO"))
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER and title.runs[0].bold
    place_date = doc.tables[0].cell(1, 1).paragraphs[0]
    assert place_date.runs[0].italic
    national, motto = doc.tables[0].cell(0, 1).paragraphs[:2]
    assert national.runs[0].bold and motto.runs[0].bold


@pytest.mark.parametrize("kind", WORD)
def test_the_same_data_gives_the_same_bytes(decided, kind):
    first = render(decided, kind)
    again = render(Campaign.objects.get(pk=decided.pk), kind)
    assert hashlib.sha256(first).hexdigest() == hashlib.sha256(again).hexdigest()
    with zipfile.ZipFile(io.BytesIO(first)) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert "docProps/thumbnail.jpeg" not in z.namelist()
    props = word(first).core_properties
    assert props.author == "thidua" and props.revision == 1 and props.created == props.modified


def test_a_campaign_without_document_settings_gets_a_clear_message(decided):
    settings = dict(decided.settings)
    settings["documents"] = None
    Campaign.objects.filter(pk=decided.pk).update(settings=settings)
    with pytest.raises(DocumentError, match=r"chưa có bảng \[documents\]"):
        render(Campaign.objects.get(pk=decided.pk), "to_trinh")


@pytest.mark.skipif(not HAS_OTHERS, reason="thidua.documents.tables / certificates land with branch i10-sheets")
@pytest.mark.parametrize("kind", OTHERS)
def test_the_workbook_and_the_certificates_are_made_by_their_modules(decided, kind):
    data = render(decided, kind)
    assert data[:2] == b"PK" if kind == "khen_thuong_xlsx" else data[:5] == b"%PDF-"


# --- refused before scoring ---------------------------------------------------------------------------------------

NOT_SCORED = "chưa chấm điểm"


@pytest.mark.parametrize("kind", WORD)
def test_no_document_before_the_campaign_is_scored(completed, kind):
    campaign = advance_to(completed, Status.CLOSED)
    with pytest.raises(DocumentError, match=NOT_SCORED):
        render(campaign, kind)
    with pytest.raises(DocumentError, match=NOT_SCORED):
        issue(campaign, kind, "pc06", "Trình Hội đồng")
    assert not IssuedDocument.objects.exists()


def test_the_command_refuses_a_campaign_before_scoring(campaign, tmp_path):
    with pytest.raises(CommandError, match=NOT_SCORED):
        call_command("documents", campaign.code, "--output", str(tmp_path / "ra"))
    assert not any((tmp_path / "ra").glob("*"))


# --- the register -------------------------------------------------------------------------------------------------

def test_issuing_stores_the_file_and_registers_it_and_a_reissue_is_a_new_version(decided, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    first = issue(decided, "to_trinh", "pc06", "Trình Hội đồng Thi đua - Khen thưởng")
    stored = tmp_path / "documents" / decided.code / "to-trinh-v1.docx"
    assert (first.version, first.number, first.date, first.file_name) == (1, "15/TTr-CAT-PC06",
                                                                        dt.date(2021, 7, 10), "to-trinh-v1.docx")
    assert first.path == f"documents/{decided.code}/to-trinh-v1.docx"
    assert stored.read_bytes() == render(decided, "to_trinh")
    assert first.sha256 == hashlib.sha256(stored.read_bytes()).hexdigest() and first.size == stored.stat().st_size
    assert first.snapshot.version == 1 and first.issued_by == "pc06"
    act = Change.objects.get(entity="van_ban", key=f"{decided.code}/to_trinh#1")
    assert act.changeset.reason == "Trình Hội đồng Thi đua - Khen thưởng" and act.changeset.actor == "pc06"
    before = stored.read_bytes()
    second = issue(decided, "to_trinh", "pc06", "Ban hành lại sau khi sửa nơi nhận")
    assert second.version == 2 and second.file_name == "to-trinh-v2.docx"
    assert stored.read_bytes() == before  # never overwritten
    report = issue(decided, "bao_cao", "hoidong", "Lưu hồ sơ")
    assert (report.version, report.number) == (1, "")
    decision = issue(decided, "quyet_dinh", "hoidong", "Lưu quyết định")
    assert (decision.number, decision.date) == ("1234/QĐ-UBND", dt.date(2021, 7, 12))


@pytest.mark.parametrize("reason, message", [("", "Cần ghi lý do"), ("   ", "Cần ghi lý do"),
                                             ("a\x00b", "ký tự không hợp lệ"), ("x" * 5000, "quá mức")])
def test_issuing_needs_a_usable_reason_and_changes_nothing_without_one(decided, settings, tmp_path, reason, message):
    settings.DATA_DIR = tmp_path
    with pytest.raises(DocumentError, match=message):
        issue(decided, "to_trinh", "pc06", reason)
    assert not IssuedDocument.objects.exists() and not (tmp_path / "documents").exists()


def test_an_unknown_kind_is_refused(decided, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    for kind in ("../etc", "to_trinh\x00", "<script>"):
        with pytest.raises(DocumentError, match="Không có loại văn bản"):
            issue(decided, kind, "pc06", "Thử")
    assert not IssuedDocument.objects.exists()


# --- the command ----------------------------------------------------------------------------------------------------

def test_the_command_writes_the_documents_the_site_serves(decided, tmp_path, login):
    out = tmp_path / "van-ban"
    if HAS_OTHERS:
        call_command("documents", decided.code, "--output", str(out))
    else:
        with pytest.raises(CommandError, match=r"Chưa lập được: khen-thuong\.xlsx"):
            call_command("documents", decided.code, "--output", str(out))
    client = login(Role.PC06, "PC06")
    for kind in (*WORD, *(OTHERS if HAS_OTHERS else ())):
        written = (out / KINDS[kind].file_name).read_bytes()
        response = client.get(reverse("document_draft", args=[decided.code, kind]))
        assert response.status_code == 200 and response.content == written
        assert response["Content-Disposition"] == f'attachment; filename="{KINDS[kind].file_name}"'


def test_the_command_refuses_an_output_that_is_not_a_folder(decided, tmp_path):
    a_file = tmp_path / "tep.txt"
    a_file.write_text("giữ nguyên")
    with pytest.raises(CommandError, match="không phải thư mục"):
        call_command("documents", decided.code, "--output", str(a_file))
    assert a_file.read_text() == "giữ nguyên"
    with pytest.raises(CommandError, match="tên thư mục không hợp lệ"):
        call_command("documents", decided.code, "--output", "ra\x00ngoai")
    with pytest.raises(CommandError, match="Không có đợt thi đua"):
        call_command("documents", "khong-co", "--output", str(tmp_path))


def test_the_command_replaces_a_link_in_the_folder_instead_of_writing_through_it(decided, tmp_path):
    outside = tmp_path / "ngoai.txt"
    outside.write_text("không được ghi đè")
    out = tmp_path / "ra"
    out.mkdir()
    (out / "to-trinh.docx").symlink_to(outside)
    (out / "quyet-dinh.docx").mkdir()
    with pytest.raises(CommandError, match="đã có thư mục cùng tên"):
        call_command("documents", decided.code, "--output", str(out))
    assert outside.read_text() == "không được ghi đè"
    assert not (out / "to-trinh.docx").is_symlink() and (out / "to-trinh.docx").read_bytes()[:2] == b"PK"


# --- the site: every role × every download -----------------------------------------------------------------------

PERSONAS = {Role.ADMIN: "PC06", Role.PC06: "PC06", Role.COUNCIL: None, Role.DISTRICT: "CAH-VTH",
            Role.TEAM: "TO-VTH-1", Role.VIEWER: "PC06"}
ALLOWED = {Role.ADMIN, Role.PC06, Role.COUNCIL}


@pytest.fixture
def issued(decided, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return issue(decided, "to_trinh", "pc06", "Trình Hội đồng")


ENDPOINTS = [
    ("page", "get", lambda c, d: reverse("documents", args=[c]), None, 200),
    *((f"draft {k}", "get", lambda c, d, k=k: reverse("document_draft", args=[c, k]), None, 200)
      for k in (*WORD, *(OTHERS if HAS_OTHERS else ()))),
    ("issued version", "get", lambda c, d: reverse("document_issued", args=[c, d.pk]), None, 200),
    ("issue", "post", lambda c, d: reverse("document_issue", args=[c]),
     {"kind": "bao_cao", "reason": "Lưu hồ sơ"}, 302),
]
MATRIX = [(name, role) for name, *_ in ENDPOINTS for role in PERSONAS]


@pytest.mark.parametrize("name, role", MATRIX, ids=[f"{n}-{r}" for n, r in MATRIX])
def test_only_the_offices_make_issue_and_download_documents(issued, login, name, role):
    _, method, url, data, allowed = next(e for e in ENDPOINTS if e[0] == name)
    client = login(role, PERSONAS[role])
    count = IssuedDocument.objects.count()
    response = getattr(client, method)(url(issued.campaign.code, issued), data or {})
    assert response.status_code == (allowed if role in ALLOWED else 403)
    if method == "post":
        assert IssuedDocument.objects.count() == count + (1 if role in ALLOWED else 0)


def test_the_page_lists_the_register_with_its_downloads(issued, login):
    page = login(Role.COUNCIL, None).get(reverse("documents", args=[issued.campaign.code])).content.decode()
    assert "to-trinh-v1.docx" in page and "15/TTr-CAT-PC06" in page and issued.sha256[:12] in page
    assert "10/07/2021" in page and "Trình Hội đồng" in page
    assert reverse("document_issued", args=[issued.campaign.code, issued.pk]) in page
    for kind in WORD:
        assert reverse("document_draft", args=[issued.campaign.code, kind]) in page


def test_an_issued_file_is_served_as_stored_and_refused_once_altered(issued, login, settings):
    client = login(Role.PC06, "PC06")
    url = reverse("document_issued", args=[issued.campaign.code, issued.pk])
    stored = Path(settings.DATA_DIR) / issued.path
    assert client.get(url).content == stored.read_bytes()
    stored.write_bytes(stored.read_bytes() + b"x")
    response = client.get(url, follow=True)
    assert b"PK" not in response.content[:2]
    assert "không còn đúng mã SHA-256" in response.content.decode()


def test_another_campaigns_issued_document_is_not_found(issued, login):
    response = login(Role.PC06, "PC06").get(reverse("document_issued", args=[issued.campaign.code, issued.pk + 99]))
    assert response.status_code == 404


def test_the_page_before_scoring_says_why_and_the_draft_is_refused(campaign, login):
    client = login(Role.PC06, "PC06")
    page = client.get(reverse("documents", args=[campaign.code])).content.decode()
    assert "chưa chấm điểm" in page
    response = client.get(reverse("document_draft", args=[campaign.code, "to_trinh"]), follow=True)
    assert "chưa chấm điểm" in response.content.decode() and response.redirect_chain
    response = client.post(reverse("document_issue", args=[campaign.code]), {"kind": "to_trinh", "reason": "Thử"},
                           follow=True)
    assert "chưa chấm điểm" in response.content.decode() and not IssuedDocument.objects.exists()


@pytest.mark.parametrize("kind", ["khong-co", "..%2F..%2Fetc", "<script>"])
def test_an_unknown_draft_kind_is_not_found(decided, login, kind):
    response = login(Role.PC06, "PC06").get(f"/dot/{decided.code}/van-ban/ban-thao/{kind}/")
    assert response.status_code == 404


@pytest.mark.parametrize("data", [{"kind": "to_trinh", "reason": "a\x00b"}, {"kind": "to_trinh", "reason": ""},
                                  {"kind": "<script>alert(1)</script>", "reason": "Thử"},
                                  {"kind": "to_trinh", "reason": "x" * 5000}])
def test_bad_input_to_issue_is_a_message_and_nothing_changes(decided, login, settings, tmp_path, data):
    settings.DATA_DIR = tmp_path
    response = login(Role.PC06, "PC06").post(reverse("document_issue", args=[decided.code]), data, follow=True)
    # A NUL byte is refused by the site before any view (400); every other bad input comes back as a message.
    assert response.status_code == (400 if "\x00" in data["reason"] else 200)
    assert not IssuedDocument.objects.exists()
    assert "<script>alert(1)</script>" not in response.content.decode()


def test_the_page_reads_a_bounded_number_of_queries(issued, login, django_assert_max_num_queries):
    """Session, user, profile, campaign, snapshot, register, people: the same for one issued version or many."""
    client = login(Role.PC06, "PC06")
    for kind in ("bao_cao", "quyet_dinh"):
        issue(issued.campaign, kind, "pc06", "Lưu hồ sơ")
    with django_assert_max_num_queries(8):
        assert client.get(reverse("documents", args=[issued.campaign.code])).status_code == 200


def test_a_document_is_issued_only_once_the_step_that_numbers_it_is_taken(completed, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    campaign = advance_to(completed, Status.PUBLISHED)
    for kind, words in (("to_trinh", "khi đã trình đề nghị"), ("quyet_dinh", "khi đã ghi quyết định"),
                        ("bang_khen", "khi đã có quyết định")):
        with pytest.raises(DocumentError, match=words):
            issue(campaign, kind, "pc06", "Ban hành")
    assert issue(campaign, "bao_cao", "pc06", "Báo cáo sơ bộ").version == 1
    campaign = advance_to(campaign, Status.PROPOSED)
    assert issue(campaign, "to_trinh", "pc06", "Trình").number == "15/TTr-CAT-PC06"
    with pytest.raises(DocumentError, match="khi đã ghi quyết định"):
        issue(campaign, "quyet_dinh", "pc06", "Ban hành")
