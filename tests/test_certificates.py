"""The Bằng khen on pre-printed blanks (documents.md): a page per recipient in order, each field in its box of the
`[certificate]` settings (read back from the PDF with poppler's `pdftotext -bbox`), the test print, the settings'
errors, the vendored font's Vietnamese glyphs, the same bytes for the same data."""

import copy
import hashlib
import html
import io
import os
import re
import shutil
import subprocess
import sys
import tomllib
import unicodedata

import pytest
from awarded import ACHIEVEMENTS, APPROVED_ORDER, HOSTILE, decided, rule, tied
from conftest import CAMPAIGN_FILE
from fontTools.ttLib import TTFont
from lifecycle import advance_to

from tests.test_score_command import COMPLETING
from thidua.awards.models import Snapshot
from thidua.campaigns.config import Certificate, ConfigError, config_from_json, load_config, parse_config
from thidua.campaigns.models import Campaign, Status
from thidua.documents.certificates import (
    FAMILY,
    FONT_FILES,
    FONTS,
    NOBODY,
    certificates_pdf,
    clean,
    frame_pdf,
    recipients,
)
from thidua.lib.sheets import SYNTHETIC_NOTE
from thidua.units.models import Officer, Unit

PT = 25.4 / 72
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is missing")
WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')


def pages(data: bytes) -> list[list[tuple[str, float, float, float, float]]]:
    """Return each page's words with their boxes in millimetres (x0, y0, x1, y1 from the top left corner)."""
    out = subprocess.run(["pdftotext", "-bbox", "-", "-"], input=data, capture_output=True, check=True).stdout
    found = []
    for page in out.decode("utf-8").split("<page ")[1:]:
        found.append([(html.unescape(m[4]), *(float(v) * PT for v in m[:4])) for m in WORD.findall(page)])
    return found


def text_in(words, box, offset=(0, 0)) -> str:
    """Return the words printed wholly inside a field's box (with a little give for the glyphs' extents)."""
    x0, y0 = box.x + offset[0] - 0.5, box.y + offset[1] - 0.5
    x1, y1 = x0 + box.width + 1, y0 + box.height + 1
    return " ".join(w for w, a, b, c, d in words if a >= x0 and c <= x1 and b >= y0 and d <= y1)


def pdf_bytes(writer, *args) -> bytes:
    buffer = io.BytesIO()
    writer(*args, buffer)
    return buffer.getvalue()


@pytest.fixture
def awarded(campaign, write_source, run_import) -> Campaign:
    return decided(campaign, write_source, run_import)


def with_certificate(campaign: Campaign, **changes) -> Campaign:
    """Return the campaign with its [certificate] settings changed (as a settings file would)."""
    settings = copy.deepcopy(campaign.settings)
    for key, value in changes.items():
        if isinstance(value, dict):
            settings["certificate"][key].update(value)
        else:
            settings["certificate"][key] = value
    campaign.settings = settings
    campaign.save(update_fields=["settings"])
    return Campaign.objects.get(pk=campaign.pk)


# --- who gets a page, and what it says --------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_page_per_winner_then_nominated_collective_then_approved_individual_in_name_order(awarded):
    people = recipients(awarded)
    assert [r.code for r in people] == ["CAH-NBA", "CAH-VTH", "TO-VTH-1", *APPROVED_ORDER]
    assert certificates_pdf(awarded, None, io.BytesIO()) == len(people)


@pytest.mark.django_db
def test_returned_and_pending_nominations_print_nothing(awarded):
    codes = {r.code for r in recipients(awarded)}
    assert "CB-003" not in codes and "TO-NBA-1" not in codes


@pytest.mark.django_db
def test_a_tie_waiting_for_the_council_prints_nothing_until_ruled(awarded):
    snapshot = tied(awarded)
    assert [r.code for r in recipients(awarded, snapshot)][:1] == ["TO-VTH-1"]
    rule(snapshot, ["CAH-VTH", "CAH-NBA"])
    ruled = recipients(awarded, snapshot)
    assert [r.code for r in ruled][:2] == ["CAH-VTH", "CAH-NBA"]
    assert ruled[0].achievement.endswith("đạt giải Nhất khối Công an cấp huyện")


@pytest.mark.django_db
def test_a_winners_achievement_names_the_campaign_and_its_tier(awarded):
    first, second = recipients(awarded)[:2]
    assert first.achievement == (f"Đã có thành tích xuất sắc trong {awarded.name}, đạt giải Nhất khối Công an "
                                 "cấp huyện")
    assert second.achievement.endswith("đạt giải Nhì khối Công an cấp huyện")


@pytest.mark.django_db
def test_an_individual_prints_rank_position_unit_and_the_nominations_achievements(awarded):
    an = next(r for r in recipients(awarded) if r.code == "CB-001")
    assert an.name == "Nguyễn Văn An"
    assert an.unit == "Đại úy, Tổ trưởng Tổ cấp CCCD lưu động số 1 Vị Thanh"
    assert an.achievement == ACHIEVEMENTS


@pytest.mark.django_db
def test_a_team_collective_names_its_district_and_a_district_names_nothing_more(awarded):
    by_code = {r.code: r for r in recipients(awarded)}
    assert by_code["TO-VTH-1"].unit == "Công an thành phố Vị Thanh"
    assert by_code["CAH-NBA"].unit == ""
    Unit.objects.filter(campaign=awarded, code="TO-VTH-1").update(name="Tổ số 1 – Công an thành phố Vị Thanh")
    assert next(r for r in recipients(awarded) if r.code == "TO-VTH-1").unit == ""  # not said twice


def test_text_is_composed_and_cleaned_before_printing():
    decomposed = unicodedata.normalize("NFD", "Nguyễn  Văn\tẤn\x00")
    assert clean(decomposed) == "Nguyễn Văn Ấn"


@needs_poppler
@pytest.mark.django_db
def test_with_nobody_to_reward_the_file_says_so_on_one_plain_page(campaign):
    scored = advance_to(campaign, Status.SCORED)  # the base data: nobody completed, nobody nominated
    buffer = io.BytesIO()
    assert certificates_pdf(scored, None, buffer) == 0
    read = pages(buffer.getvalue())
    assert len(read) == 1 and " ".join(w[0] for w in read[0]) == NOBODY


# --- where each field prints ------------------------------------------------------------------------------------

@needs_poppler
@pytest.mark.django_db
def test_each_field_prints_inside_its_configured_box_on_its_page(awarded):
    settings = awarded.config.certificate
    read = pages(pdf_bytes(certificates_pdf, awarded, None))
    people = recipients(awarded)
    assert len(read) == len(people)
    for words, person in zip(read, people, strict=True):
        assert text_in(words, settings.name) == person.name
        assert text_in(words, settings.unit) == person.unit
        assert text_in(words, settings.achievement) == person.achievement
        assert text_in(words, settings.decision) == "Quyết định số 1234/QĐ-UBND ngày 12 tháng 7 năm 2021"
        assert " ".join(w[0] for w in words) == " ".join(
            x for x in (person.name, person.unit, person.achievement,
                        "Quyết định số 1234/QĐ-UBND ngày 12 tháng 7 năm 2021") if x)


@needs_poppler
@pytest.mark.django_db
def test_a_moved_box_and_an_offset_move_the_text_with_them(awarded):
    moved = with_certificate(awarded, offset_x=5, offset_y=-3, name={"x": 20, "y": 40, "width": 100, "align": "left"})
    settings = moved.config.certificate
    words = pages(pdf_bytes(certificates_pdf, moved, None))[0]
    assert text_in(words, settings.name, (5, -3)) == "Công an thành phố Ngã Bảy"
    first = next(w for w in words if w[0] == "Công")
    assert first[1] == pytest.approx(25, abs=0.3)  # left aligned at x + offset_x
    assert first[2] >= 37 and first[4] <= 37 + settings.name.height


@needs_poppler
@pytest.mark.django_db
def test_a_long_achievement_shrinks_and_stays_within_its_box(awarded):
    officer = Officer.objects.get(campaign=awarded, code="CB-001")
    long_text = " ".join(["Tổ chức cấp thẻ lưu động tại các ấp vùng sâu, vùng xa"] * 12)
    awarded.nominations.filter(officer=officer).update(achievements=long_text)
    settings = awarded.config.certificate
    page = [r.code for r in recipients(awarded)].index("CB-001")
    words = pages(pdf_bytes(certificates_pdf, awarded, None))[page]
    box = settings.achievement
    inside = [w for w in words if w[2] >= box.y - 0.5 and w[4] <= box.y + box.height + 0.5 and w[0] in long_text]
    below = [w for w in words if box.y + box.height < w[2] < settings.decision.y]
    assert len(inside) > 50 and not below


@needs_poppler
@pytest.mark.django_db
def test_a_hostile_text_prints_as_text(awarded):
    page = [r.code for r in recipients(awarded)].index("CB-103")
    words = pages(pdf_bytes(certificates_pdf, awarded, None))[page]
    assert text_in(words, awarded.config.certificate.name) == HOSTILE


@needs_poppler
@pytest.mark.django_db
def test_before_the_decision_its_number_and_date_are_left_blank(campaign, write_source, run_import):
    assert run_import(write_source(COMPLETING, "xlsx")).ok
    scored = advance_to(campaign, Status.SCORED)
    words = pages(pdf_bytes(certificates_pdf, scored, None))
    assert all("1234" not in " ".join(w[0] for w in page) for page in words)
    assert text_in(words[0], scored.config.certificate.decision) == "Quyết định số /QĐ-UBND ngày tháng năm"


@needs_poppler
@pytest.mark.django_db
def test_a_synthetic_campaigns_pages_are_labelled_and_a_real_ones_are_not(awarded):
    for words in pages(pdf_bytes(certificates_pdf, awarded, None)) + pages(pdf_bytes(frame_pdf, awarded)):
        assert "MÔ PHỎNG" not in " ".join(w[0] for w in words)
    Campaign.objects.filter(pk=awarded.pk).update(synthetic=True)
    demo = Campaign.objects.get(pk=awarded.pk)
    for words in pages(pdf_bytes(certificates_pdf, demo, None)) + pages(pdf_bytes(frame_pdf, demo)):
        assert SYNTHETIC_NOTE in " ".join(w[0] for w in words)


@needs_poppler
@pytest.mark.django_db
def test_control_characters_foreign_glyphs_and_an_empty_achievement_do_not_stop_the_print(awarded):
    Officer.objects.filter(campaign=awarded, code="CB-001").update(full_name="Nguyễn\x07 Văn\tAn 🎉")
    awarded.nominations.filter(officer__code="CB-001").update(achievements=" \x1b\x08 ")
    page = [r.code for r in recipients(awarded)].index("CB-001")
    person = recipients(awarded)[page]
    assert (person.name, person.achievement) == ("Nguyễn Văn An 🎉", f"Đã có thành tích xuất sắc trong {awarded.name}")
    words = pages(pdf_bytes(certificates_pdf, awarded, None))[page]
    assert text_in(words, awarded.config.certificate.name).startswith("Nguyễn Văn An")


# --- the test print ---------------------------------------------------------------------------------------------

@needs_poppler
@pytest.mark.django_db
def test_the_frame_is_one_page_with_each_box_labelled_where_it_prints(awarded):
    moved = with_certificate(awarded, offset_x=4)
    data = pdf_bytes(frame_pdf, moved)
    read = pages(data)
    assert len(read) == 1
    words = read[0]
    text = " ".join(w[0] for w in words)
    assert "TRANG IN THỬ KHUNG BẰNG KHEN" in text and "ngang 4 mm" in text
    settings = moved.config.certificate
    for key in ("name", "unit", "achievement", "decision"):
        box = getattr(settings, key)
        label = next(w for w in words if w[0] == key)
        assert label[1] == pytest.approx(box.x + 4 + 1, abs=0.3) and box.y < label[4] < box.y + 4
    for corner in ("(15; 15)", "(282; 195)"):
        assert corner in text
    assert {"10", "100", "290"} <= {w[0] for w in words}  # the rulers' numbers


@pytest.mark.django_db
def test_the_frame_and_the_certificates_take_the_blanks_page_size(awarded):
    narrow = {"width": 150}
    portrait = with_certificate(awarded, page_width=210, page_height=297, name=narrow, unit=narrow, achievement=narrow)
    for data in (pdf_bytes(frame_pdf, portrait), pdf_bytes(certificates_pdf, portrait, None)):
        size = re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", data)
        assert (float(size[1]) * PT, float(size[2]) * PT) == (pytest.approx(210, abs=0.1), pytest.approx(297, abs=0.1))


# --- the same bytes for the same data ---------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_same_data_gives_the_same_bytes(awarded):
    first = hashlib.sha256(pdf_bytes(certificates_pdf, awarded, None)).hexdigest()
    second = hashlib.sha256(pdf_bytes(certificates_pdf, Campaign.objects.get(pk=awarded.pk), None)).hexdigest()
    assert first == second
    frame = [hashlib.sha256(pdf_bytes(frame_pdf, awarded)).hexdigest() for _ in range(2)]
    assert frame[0] == frame[1]


@pytest.mark.django_db
def test_the_files_carry_the_decisions_date_not_the_time_of_writing(awarded, tmp_path):
    path = tmp_path / "bang-khen.pdf"
    certificates_pdf(awarded, Snapshot.objects.get(campaign=awarded), path)
    data = path.read_bytes()
    assert b"/CreationDate (D:20210712000000Z" in data and b"/Producer (thidua)" in data


SUBSET = """
import datetime as dt, hashlib, sys
from fpdf import FPDF
pdf = FPDF()
pdf.add_font("F", "", sys.argv[1])
pdf.set_creation_date(dt.datetime(2021, 7, 12, tzinfo=dt.UTC))
pdf.add_page()
pdf.set_font("F", "", 12)
pdf.cell(text=sys.argv[2])
sys.stdout.write(hashlib.sha256(bytes(pdf.output())).hexdigest())
"""


def test_the_embedded_font_subset_does_not_depend_on_the_hash_seed():
    """fpdf2 embeds only the glyphs used: their order must not follow a set's (Python's hash seed per process)."""
    font = str(FONTS / f"{FAMILY}-Regular.ttf")
    digests = {subprocess.run([sys.executable, "-c", SUBSET, font, vietnamese_letters()], capture_output=True,
                              text=True, check=True, env={**os.environ, "PYTHONHASHSEED": seed}).stdout
               for seed in ("1", "2", "3")}
    assert len(digests) == 1


# --- the font ---------------------------------------------------------------------------------------------------

VOWELS = "aăâeêioôơuưy"
TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")


def vietnamese_letters() -> str:
    letters = set("aăâbcdđeêghiklmnoôơpqrstuưvxy")
    letters |= {unicodedata.normalize("NFC", v + t) for v in VOWELS for t in TONES}
    return "".join(sorted(letters | {c.upper() for c in letters}))


@pytest.mark.parametrize("style", sorted(FONT_FILES))
def test_the_vendored_font_has_every_vietnamese_letter_with_every_tone(style):
    letters = vietnamese_letters()
    assert len(letters) == 2 * (29 + 12 * 5)
    cmap = TTFont(FONTS / f"{FAMILY}-{FONT_FILES[style]}.ttf").getBestCmap()
    assert [c for c in letters if ord(c) not in cmap] == []


def test_the_fonts_licence_and_source_are_beside_them():
    assert "SIL OPEN FONT LICENSE Version 1.1" in (FONTS / "LICENSE-OFL-1.1.txt").read_text(encoding="utf-8")
    readme = (FONTS / "README.md").read_text(encoding="utf-8")
    for style, file in FONT_FILES.items():
        digest = hashlib.sha256((FONTS / f"{FAMILY}-{file}.ttf").read_bytes()).hexdigest()
        assert f"{digest}  {FAMILY}-{file}.ttf" in readme, style


@needs_poppler
@pytest.mark.django_db
def test_every_vietnamese_letter_prints_and_reads_back(awarded):
    letters = vietnamese_letters()
    Officer.objects.filter(campaign=awarded, code="CB-001").update(full_name=f"Nguyễn {letters[:60]} An")
    awarded.nominations.filter(officer__code="CB-001").update(achievements=letters)
    page = [r.code for r in recipients(awarded)].index("CB-001")
    words = pages(pdf_bytes(certificates_pdf, awarded, None))[page]
    assert letters in text_in(words, awarded.config.certificate.achievement).replace(" ", "")


# --- the settings -----------------------------------------------------------------------------------------------

def settings_with(**certificate) -> dict:
    with open(CAMPAIGN_FILE, "rb") as fh:
        data = tomllib.load(fh)
    data["certificate"] = certificate
    return data


def errors_of(**certificate) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(settings_with(**certificate))
    return caught.value.errors


def test_the_reference_campaign_sets_the_defaults_and_they_survive_the_database():
    config = load_config(CAMPAIGN_FILE)
    assert config.certificate == Certificate()
    assert config_from_json(config.as_json()).certificate == config.certificate


def test_no_certificate_table_takes_the_defaults():
    data = settings_with()
    del data["certificate"]
    assert parse_config(data).certificate == Certificate()


def test_a_field_can_change_only_some_of_its_keys():
    config = parse_config(settings_with(name={"y": 90, "size": 26}))
    assert (config.certificate.name.y, config.certificate.name.size, config.certificate.name.x) == (90, 26, 40)


@pytest.mark.parametrize(("certificate", "message"), [
    ({"paper": 1}, "certificate: khóa «paper» không được biết đến."),
    ({"name": {"colour": "red"}}, "certificate.name: khóa «colour» không được biết đến."),
    ({"page_width": "297"}, "certificate.page_width: phải là một số (milimét), không phải «297»."),
    ({"page_height": 20}, "certificate.page_height: phải từ 50 đến 1000, không phải 20."),
    ({"offset_x": 25}, "certificate.offset_x: phải từ -20 đến 20, không phải 25."),
    ({"unit": {"x": -1}}, "certificate.unit.x: phải từ 0 đến 1000, không phải -1."),
    ({"unit": {"width": True}}, "certificate.unit.width: phải là một số (milimét), không phải «True»."),
    ({"achievement": {"size": 200}}, "certificate.achievement.size: phải từ 6 đến 96, không phải 200."),
    ({"achievement": {"size": "big"}}, "certificate.achievement.size: phải là một số (điểm, cỡ chữ), "
                                       "không phải «big»."),
    ({"decision": {"align": "justify"}}, "certificate.decision.align: phải là left, center hoặc right, "
                                         "không phải «justify»."),
    ({"name": {"bold": "yes"}}, "certificate.name.bold: phải là true hoặc false."),
    ({"name": {"height": 0}}, "certificate.name: chiều rộng và chiều cao của ô phải lớn hơn 0."),
    ({"achievement": {"x": 200}}, "certificate.achievement: ô (200, 124) rộng 217 cao 30 mm vượt ra ngoài trang "
                                  "297 × 210 mm."),
    ({"page_width": 210, "page_height": 297}, "certificate.name: ô (40, 97) rộng 217 cao 14 mm vượt ra ngoài "
                                              "trang 210 × 297 mm."),
    ({"decision_symbol": "QĐ/UBND"}, "certificate.decision_symbol: «QĐ/UBND» chỉ được gồm chữ, số và dấu -."),
    ({"name": 3}, "certificate.name: phải là một bảng (table)."),
])
def test_each_settings_error_is_named(certificate, message):
    assert message in errors_of(**certificate)


def test_every_error_is_listed_at_once():
    errors = errors_of(offset_y=-30, name={"align": "middle"}, unit={"size": 1})
    assert len(errors) == 3
