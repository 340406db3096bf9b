"""No file the product writes carries a formula (OWASP's "CSV injection"): every CSV and workbook, produced through
its real entry point (a page's download or a command) from data whose texts begin with each character a spreadsheet
takes for a formula (=, +, -, @, tab, carriage return), read back cell by cell. A CSV cell never begins with one of
them (it is escaped with an apostrophe); a workbook holds no formula cell, and a formula-like text is a text cell
shown as text; numbers and dates stay numbers and dates."""

import base64
import csv
import datetime as dt
import io
import re
from pathlib import Path

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from thidua.accounts.models import Role
from thidua.accounts.services import user_create
from thidua.campaigns.models import Campaign
from thidua.lib.sheets import FORMULA_STARTS, csv_bytes, csv_cell, csv_unescape, formula_like, xlsx_cell
from thidua.units.models import Officer, Unit

pytestmark = pytest.mark.django_db
HOSTILE = ('=HYPERLINK("http://x","bấm")', "+84-1234", "-2+3", "@SUM(A1:A2)", "\t=1+2", "\r=1+2")


# --- the function itself ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", HOSTILE)
def test_a_formula_like_text_is_escaped_for_csv_and_read_back(text):
    assert csv_cell(text) == "'" + text
    assert csv_unescape(csv_cell(text)) == text


@pytest.mark.parametrize("value", [12, -5, 0, 1.5, dt.date(2021, 3, 10), None, "", "Tổ 1", "a=b", "'quoted"])
def test_numbers_dates_and_plain_text_are_written_as_they_are(value):
    assert csv_cell(value) == value
    assert not formula_like(value)


# Texts beginning with an apostrophe, alone or before each formula character: the escape's own character.
APOSTROPHED = ("'quoted", "'", "''", *(f"'{c}1+1" for c in FORMULA_STARTS), *(f"''{c}1" for c in FORMULA_STARTS))


@pytest.mark.parametrize("text", [*HOSTILE, *APOSTROPHED, "Tổ 1", "a=b", ""])
def test_every_text_comes_back_from_a_csv_file_exactly_as_it_was_written(text):
    rows = list(csv.reader(io.StringIO(csv_bytes(("x",), [[text]]).decode("utf-8-sig"), newline="")))
    assert not rows[1][0].startswith(FORMULA_STARTS)
    assert csv_unescape(rows[1][0]) == text


def test_a_workbook_cell_of_formula_like_text_is_text(tmp_path):
    wb = openpyxl.Workbook()
    for i, value in enumerate((*HOSTILE, 7, dt.date(2021, 3, 10), "a\x00b"), start=1):
        xlsx_cell(wb.active.cell(i, 1), value)
    wb.save(tmp_path / "a.xlsx")
    cells = [row[0] for row in openpyxl.load_workbook(tmp_path / "a.xlsx").active.iter_rows()]
    assert [c.data_type for c in cells[:len(HOSTILE)]] == ["s"] * len(HOSTILE)
    assert all(c.quotePrefix for c in cells[:len(HOSTILE)])
    assert [c.value for c in cells[:4]] == list(HOSTILE[:4])  # the text itself, unchanged
    assert cells[-3].value == 7 and cells[-2].is_date and cells[-1].value == "a\ufffdb"


# --- reading an export back ------------------------------------------------------------------------------------

def _csv_cells(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "a BOM, so that Excel reads the Vietnamese right"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def assert_csv_safe(data: bytes, expect_escaped: int = 1) -> list[list[str]]:
    """Assert no cell of a CSV file begins with a formula's first character; return its rows."""
    rows = _csv_cells(data)
    cells = [c for row in rows for c in row]
    assert not [c for c in cells if c.startswith(FORMULA_STARTS)], "a cell a spreadsheet would run as a formula"
    escaped = [c for c in cells if c.startswith("'") and formula_like(c[1:])]
    assert len(escaped) >= expect_escaped, "the test's hostile texts reached the file"
    return rows


def assert_workbook_safe(path: Path, expect_escaped: int = 1) -> openpyxl.Workbook:
    """Assert a workbook holds no formula and every formula-like text is a text cell shown as text."""
    wb = openpyxl.load_workbook(path)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"], "a formula cell"
    hostile = [c for c in cells if formula_like(c.value)]
    assert all(c.data_type == "s" and c.quotePrefix for c in hostile), [c.value for c in hostile
                                                                       if not c.quotePrefix]
    assert len(hostile) >= expect_escaped, "the test's hostile texts reached the file"
    return wb


@pytest.fixture
def hostile_names(campaign):
    """Give units, officers and the campaign texts that begin with each formula character."""
    units = list(Unit.objects.filter(campaign=campaign).order_by("code"))
    for unit, name in zip(units, HOSTILE, strict=False):
        Unit.objects.filter(pk=unit.pk).update(name=name)
    for officer, name in zip(Officer.objects.filter(campaign=campaign).order_by("code"), HOSTILE, strict=False):
        Officer.objects.filter(pk=officer.pk).update(full_name=name, rank=HOSTILE[1], position=HOSTILE[2])
    Campaign.objects.filter(pk=campaign.pk).update(name=HOSTILE[0])
    campaign.refresh_from_db()
    return campaign


@pytest.fixture
def admin_client(campaign, client):
    user = user_create(username="quan-tri", password="Mat-khau-2021", role=Role.ADMIN, actor="kiem-thu",
                       unit=Unit.objects.get(campaign=campaign, code="PC06"), full_name="Quản Trị")
    client.force_login(user)
    return client


def _users(campaign, names):
    """Create team users whose names (and user names, which may begin with - + @) begin with formula characters."""
    team = Unit.objects.get(campaign=campaign, code="TO-VTH-1")
    for username, name in zip(("-to1", "+to2", "@to3", "to4"), names, strict=False):
        user_create(username=username, password="Mat-khau-2021", role=Role.TEAM, actor="kiem-thu", unit=team,
                    full_name=name)


def test_users_csv_template_escapes_formulas_and_imports_back_unchanged(admin_client, campaign):
    _users(campaign, HOSTILE[:4])
    data = admin_client.get(reverse("users_template"), {"dot": campaign.code}).content
    rows = assert_csv_safe(data, expect_escaped=7)
    assert {csv_unescape(r[0]): csv_unescape(r[1]) for r in rows[1:] if r[0] != "quan-tri"} == dict(zip(
        ("-to1", "+to2", "@to3", "to4"), HOSTILE[:4], strict=True))
    # The file downloaded to be edited is imported again: it changes nothing.
    preview = admin_client.post(reverse("users_import"), {"campaign": campaign.pk,
                                                          "tep": SimpleUploadedFile("nguoi-dung.csv", data)})
    report = preview.context["report"]
    assert report.ok and not report.creates and not report.updates, [str(e) for e in report.errors]


def test_users_csv_template_escapes_names_beginning_with_a_tab_or_a_carriage_return(admin_client, campaign):
    # The services refuse such names now; a database from before may hold them still.
    _users(campaign, ["Tên tạm 1", "Tên tạm 2"])
    for username, name in zip(("-to1", "+to2"), HOSTILE[4:], strict=True):
        get_user_model().objects.filter(username=username).update(first_name=name)
    data = admin_client.get(reverse("users_template"), {"dot": campaign.code}).content
    assert_csv_safe(data, expect_escaped=2 + 2)


def test_full_names_beginning_with_an_apostrophe_come_back_unchanged_from_the_users_template(admin_client,
                                                                                               campaign):
    _users(campaign, ["'=1+1", "'+84", "''@x", "'quoted"])
    data = admin_client.get(reverse("users_template"), {"dot": campaign.code}).content
    preview = admin_client.post(reverse("users_import"), {"campaign": campaign.pk,
                                                          "tep": SimpleUploadedFile("nguoi-dung.csv", data)})
    report = preview.context["report"]
    assert report.ok and not report.creates and not report.updates, [(r.username, r.after) for r in report.updates]


def test_one_time_passwords_file_escapes_formulas(admin_client, campaign):
    response = admin_client.post(reverse("user_create"), {
        "username": "-nguoi-moi", "full_name": "=1+2 Nguyễn", "role": Role.TEAM,
        "unit": Unit.objects.get(campaign=campaign, code="TO-VTH-1").pk})
    href = re.search(r'href="data:text/csv;charset=utf-8;base64,([^"]+)"', response.content.decode()).group(1)
    rows = assert_csv_safe(base64.b64decode(href), expect_escaped=2)
    assert rows[1][:2] == ["'-nguoi-moi", "'=1+2 Nguyễn"]


def _hostile_import(directory: Path) -> list[Path]:
    """Files whose errors quote formula-like texts: named after one, or holding them in cells."""
    paths = []
    for name in ("=HYPERLINK(1).csv", "+x.csv", "-x.csv", "@x.csv"):
        path = directory / name
        path.write_bytes(b"ngay,ma_may,ma_xa,so_ho_so\r\n10/03/2021,=1+2,@x,-5\r\n")
        paths.append(path)
    return paths


def test_import_error_list_of_the_page_escapes_formulas(admin_client, campaign, settings, tmp_path):
    settings.THIDUA_UPLOAD_DIR = tmp_path / "uploads"
    escaped = 0
    for path in _hostile_import(tmp_path):
        with path.open("rb") as fh:
            preview = admin_client.post(reverse("import_upload", args=[campaign.code]), {"tep": fh})
        data = admin_client.get(reverse("import_errors", args=[campaign.code, preview.context["sha"]])).content
        rows = assert_csv_safe(data, expect_escaped=0)
        assert all(r[1] == "" or r[1].isdigit() for r in rows[1:]), "row numbers stay numbers"
        escaped += sum(c.startswith("'") for r in rows for c in r)
    assert escaped >= 4


def test_import_error_list_of_the_command_escapes_formulas(campaign, tmp_path):
    escaped = 0
    for path in _hostile_import(tmp_path):
        errors = tmp_path / "loi.csv"
        with pytest.raises(Exception, match="Không nhập gì"):
            call_command("import", campaign.code, str(path), "--errors", str(errors))
        rows = assert_csv_safe(errors.read_bytes(), expect_escaped=0)
        assert rows[0] == ["trang", "dong", "cot", "loi"]
        escaped += sum(c.startswith("'") for r in rows for c in r)
    assert escaped >= 4


def test_standings_workbook_holds_no_formula(hostile_names, tmp_path):
    path = tmp_path / "xep-hang.xlsx"
    call_command("score", hostile_names.code, "--as-of", "2021-03-31", "--format", "xlsx", "--output", str(path))
    wb = assert_workbook_safe(path, expect_escaped=3)
    numbers = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.data_type == "n"
               and c.value is not None]
    assert numbers and all(isinstance(v, int | float) for v in numbers), "quotas, counts and points stay numbers"


def test_workbook_template_with_data_holds_no_formula(hostile_names, tmp_path):
    path = tmp_path / "mau.xlsx"
    call_command("template", hostile_names.code, str(path), "--with-data")
    wb = assert_workbook_safe(path, expect_escaped=len(HOSTILE) + 3)
    may = list(wb["may"].iter_rows(min_row=2, values_only=True))
    assert any(isinstance(r[2], dt.datetime) for r in may) and any(isinstance(r[5], int) for r in may)


def test_workbook_template_download_holds_no_formula(admin_client, hostile_names, tmp_path):
    response = admin_client.get(reverse("import_template", args=[hostile_names.code]), {"du_lieu": "1"})
    path = tmp_path / "mau.xlsx"
    path.write_bytes(b"".join(response.streaming_content))
    assert_workbook_safe(path, expect_escaped=len(HOSTILE) + 3)


def test_csv_bytes_escapes_every_cell():
    rows = assert_csv_safe(csv_bytes(("a", "=b"), [[1, "-2", dt.date(2021, 3, 10), None]]), expect_escaped=2)
    assert rows == [["a", "'=b"], ["1", "'-2", "2021-03-10", ""]]
