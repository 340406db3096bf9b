"""Shared fixtures: Hậu Giang's territory, the reference campaign and a small valid dataset, loaded once.

The base dataset (imported once per session, before any test; every test runs in a transaction that is rolled
back, so each one starts from it):

- units: PC06 (phong, province 93, group cap_tinh) → CAH-VTH (district 930) and CAH-NBA (district 931), both
  cong_an_huyen in group cap_huyen → teams TO-VTH-1 (communes 31318;31321) and TO-NBA-1 (no area of its own:
  its district's communes, e.g. 31340, 31341);
- officers CB-001..CB-003;
- machines: M-VTH-01 → TO-VTH-1 for the whole period, 120 a day; M-NBA-01 → TO-NBA-1 from 01/03 to 31/05/2021,
  90 a day; M-NBA-02 → TO-NBA-1 from 01/03 to 30/06/2021, quota 9000 in all;
- eligible residents of 31318, 31321 and 31340;
- intake: see BASE["thu_nhan"].
"""

import csv
import datetime as dt
import io
import os
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest

from thidua.audit.models import ChainHead, Change, ChangeSet
from thidua.campaigns.config import load_config
from thidua.campaigns.models import Campaign, CompetitionGroup
from thidua.campaigns.services import campaign_init
from thidua.exchange.importer import workbook_import
from thidua.intake.models import Assignment, EligiblePopulation, IntakeRecord, Machine
from thidua.intake.rules import forget_rules
from thidua.monitoring.forecasts import forget_forecasts
from thidua.standings.selectors import forget_standings
from thidua.territory.services import territory_load
from thidua.units.models import Membership, Officer, Unit
from thidua.web.templatetags.rows import forget_rows

# The history's key of the tests (thidua/audit/keys.py), read when an act is sealed; subprocesses inherit it.
os.environ.setdefault("THIDUA_AUDIT_KEY", "khoa-nhat-ky-cua-bo-kiem-thu")

REPO = Path(__file__).resolve().parent.parent
CAMPAIGN_FILE = REPO / "campaigns" / "hau-giang-2021.toml"
CAMPAIGN_CODE = "hau-giang-2021"
ACTOR = "kiem-thu"

HEADERS = {
    "don_vi": ["ma_don_vi", "ten_don_vi", "loai", "ma_don_vi_cap_tren", "dia_ban", "nhom_thi_dua"],
    "can_bo": ["ma_can_bo", "ho_ten", "ma_don_vi", "cap_bac", "chuc_vu", "truc_tiep_cap_cccd"],
    "may": ["ma_may", "ma_to", "tu_ngay", "den_ngay", "chi_tieu", "chi_tieu_ngay"],
    "dan_so": ["ma_xa", "so_nguoi_trong_do_tuoi"],
    "thu_nhan": ["ngay", "ma_may", "ma_xa", "so_ho_so"],
}

BASE = {
    "don_vi": [
        HEADERS["don_vi"],
        ["PC06", "Phòng Cảnh sát quản lý hành chính về trật tự xã hội", "phong", None, "93", "cap_tinh"],
        ["CAH-VTH", "Công an thành phố Vị Thanh", "cong_an_huyen", "PC06", "930", "cap_huyen"],
        ["CAH-NBA", "Công an thành phố Ngã Bảy", "cong_an_huyen", "PC06", "931", "cap_huyen"],
        ["TO-VTH-1", "Tổ cấp CCCD lưu động số 1 Vị Thanh", "to", "CAH-VTH", "31318;31321", None],
        ["TO-NBA-1", "Tổ cấp CCCD lưu động số 1 Ngã Bảy", "to", "CAH-NBA", None, None],
    ],
    "can_bo": [
        HEADERS["can_bo"],
        ["CB-001", "Nguyễn Văn An", "TO-VTH-1", "Đại úy", "Tổ trưởng", "co"],
        ["CB-002", "Trần Thị Bình", "TO-NBA-1", "Thượng úy", "Tổ viên", "co"],
        ["CB-003", "Lê Văn Cường", "PC06", "Trung tá", "Phó Trưởng phòng", "khong"],
    ],
    "may": [
        HEADERS["may"],
        ["M-VTH-01", "TO-VTH-1", None, None, None, 120],
        ["M-NBA-01", "TO-NBA-1", dt.date(2021, 3, 1), dt.date(2021, 5, 31), None, 90],
        ["M-NBA-02", "TO-NBA-1", dt.date(2021, 3, 1), dt.date(2021, 6, 30), 9000, None],
    ],
    "dan_so": [
        HEADERS["dan_so"],
        ["31318", 6200],
        ["31321", 4800],
        ["31340", 7100],
    ],
    "thu_nhan": [
        HEADERS["thu_nhan"],
        [dt.date(2021, 3, 1), "M-VTH-01", "31318", 85],
        [dt.date(2021, 3, 1), "M-VTH-01", "31321", 40],
        [dt.date(2021, 3, 2), "M-VTH-01", "31318", 60],
        [dt.date(2021, 3, 2), "M-NBA-01", "31340", 75],
        [dt.date(2021, 3, 3), "M-NBA-02", "31341", 30],
    ],
}


# --- writing a dataset in each form the importer takes ------------------------------------------------------

def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return f"{value:%d/%m/%Y}"
    return str(value)


def _csv_bytes(rows, encoding: str) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return buffer.getvalue().encode(encoding)


def write_sheets(directory: Path, sheets: dict[str, list[list]], fmt: str, name: str = "so-lieu") -> Path:
    """Write {sheet: [header, *rows]} as a CSV folder ("csv"), a workbook ("xlsx") or a .zip of CSVs ("zip").

    In a workbook dates are date cells and numbers number cells; in CSV both are text (dd/mm/yyyy for dates).
    """
    directory.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        folder = directory / name
        folder.mkdir()
        for sheet, rows in sheets.items():
            (folder / f"{sheet}.csv").write_bytes(_csv_bytes(rows, "utf-8-sig"))
        return folder
    if fmt == "xlsx":
        path = directory / f"{name}.xlsx"
        wb = openpyxl.Workbook()
        wb.remove(wb.active)
        for sheet, rows in sheets.items():
            ws = wb.create_sheet(sheet)
            for row in rows:
                ws.append(list(row))
        wb.save(path)
        return path
    if fmt == "zip":
        path = directory / f"{name}.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for sheet, rows in sheets.items():
                zf.writestr(f"{sheet}.csv", _csv_bytes(rows, "utf-8"))
        return path
    raise ValueError(fmt)


def form_fields(html: str, action: str) -> dict[str, str]:
    """Return the named inputs of the page's form posting to `action`, as a browser would send them (unchecked boxes
    left out): what a test posts back is what the rendered page really sends."""

    class Form(HTMLParser):
        def __init__(self):
            super().__init__()
            self.inside, self.fields, self.found = False, {}, False

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "form":
                self.inside = a.get("action") == action
                self.found |= self.inside
            elif (tag == "input" and self.inside and a.get("name")
                  and (a.get("type") not in ("checkbox", "radio") or "checked" in a)):
                self.fields[a["name"]] = a.get("value") or ""

        def handle_endtag(self, tag):
            if tag == "form":
                self.inside = False

    parser = Form()
    parser.feed(html)
    assert parser.found, f"no form posting to {action}"
    return parser.fields


# --- fixtures -----------------------------------------------------------------------------------------------

@pytest.fixture(scope="session", autouse=True)
def _journal_of_the_tests(tmp_path_factory):
    """Keep the journal of heads (thidua/audit/journal.py) of the acts the session commits (the base data) in a
    folder of its own, never in the working copy's data folder, which another run (the other database) shares."""
    from django.conf import settings

    settings.THIDUA_AUDIT_JOURNAL = tmp_path_factory.mktemp("journal") / "anchors.log"


@pytest.fixture(autouse=True)
def _journal_of_each_test(settings, tmp_path):
    """Start each test with an empty journal of heads (behind the database: no alarm), its own: a test that changes
    the key or commits its acts leaves nothing to the next."""
    settings.THIDUA_AUDIT_JOURNAL = tmp_path / "journal" / "anchors.log"


def _load_base(path: Path) -> None:
    territory_load(province="93", actor=ACTOR)
    campaign, _ = campaign_init(config=load_config(CAMPAIGN_FILE), actor=ACTOR)
    report = workbook_import(campaign=campaign, path=path, actor=ACTOR)
    assert report.ok, [str(e) for e in report.errors]


@pytest.fixture(scope="session")
def base_data(django_db_setup, django_db_blocker, tmp_path_factory) -> Path:
    """Load the territory, the reference campaign and the base dataset once; return the base workbook."""
    path = write_sheets(tmp_path_factory.mktemp("base"), BASE, "xlsx", name="co-so")
    with django_db_blocker.unblock():
        _load_base(path)
    return path


def _load_base_if_flushed(path: Path) -> None:
    if not Campaign.objects.filter(code=CAMPAIGN_CODE).exists():
        ChainHead.objects.get_or_create(pk=1)  # written by a migration, emptied by the flush like every row
        _load_base(path)


@pytest.fixture(scope="module")
def _base_data_after_flush(base_data, django_db_blocker):
    """Load the base data again after a module of transactional tests, whose flush emptied every table."""
    yield
    with django_db_blocker.unblock():
        _load_base_if_flushed(base_data)


@pytest.fixture
def committed_campaign(_base_data_after_flush, base_data, transactional_db) -> Campaign:
    """Return the reference campaign to a test of real concurrency (threads with connections of their own see only
    what is committed: `transactional_db`). Such a test ends by emptying every table; the base data is loaded again
    before the next one and after its module."""
    _load_base_if_flushed(base_data)
    return Campaign.objects.get(code=CAMPAIGN_CODE)


@pytest.fixture(autouse=True)
def _standings_computed_afresh():
    """Forget the standings a test before kept: tests write data directly, outside the history's acts, which is what
    tells the kept standings that they are out of date (thidua/standings/selectors.py)."""
    forget_standings()
    forget_forecasts()
    forget_rows()
    forget_rules()


@pytest.fixture
def campaign(base_data, db) -> Campaign:
    return Campaign.objects.get(code=CAMPAIGN_CODE)


@pytest.fixture(params=["xlsx", "csv"])
def fmt(request) -> str:
    """The form a test's file is written in; tests that take it run once per form."""
    return request.param


@pytest.fixture
def write_source(tmp_path):
    """Return a function writing {sheet: [header, *rows]} in a given form under tmp_path."""
    counter = iter(range(1, 1000))

    def write(sheets: dict[str, list[list]], fmt: str) -> Path:
        return write_sheets(tmp_path, sheets, fmt, name=f"so-lieu-{next(counter)}")

    return write


@pytest.fixture
def run_import(campaign):
    """Return a function importing a path into the reference campaign; it returns the ImportReport."""

    def run(path: Path, **options):
        return workbook_import(campaign=campaign, path=path, actor=ACTOR, **options)

    return run


def _table(model) -> list[tuple]:
    return list(model.objects.order_by("pk").values_list())


def take_snapshot() -> dict[str, object]:
    """Return every row of every data table (and the history's counts), to compare before and after."""
    return {
        "campaigns": _table(Campaign),
        "groups": _table(CompetitionGroup),
        "units": _table(Unit),
        "unit_areas": _table(Unit.areas.through),
        "officers": _table(Officer),
        "memberships": _table(Membership),
        "machines": _table(Machine),
        "assignments": _table(Assignment),
        "populations": _table(EligiblePopulation),
        "intake": _table(IntakeRecord),
        "changesets": _table(ChangeSet),
        "changes": _table(Change),
        "history_counts": (ChangeSet.objects.count(), Change.objects.count()),
    }


@pytest.fixture
def snapshot(campaign):
    """Return a function that snapshots all data tables: equal snapshots mean the database is unchanged."""
    return take_snapshot


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Hash test passwords cheaply: the production hasher's cost is deliberate and would slow every test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def login(campaign, client):
    """Return a function signing the test client in as the user of a role bound to a unit (a code, or None for the
    whole campaign), created on first use as `u-<role>-<unit>`; it returns the client."""
    from thidua.accounts.services import user_create

    users = {}

    def as_user(role, unit):
        if (role, unit) not in users:
            users[role, unit] = user_create(
                username=f"u-{role}-{unit}", password="Mat-khau-2021", role=role, actor="kiem-thu",
                unit=Unit.objects.get(campaign=campaign, code=unit) if unit else None)
        client.force_login(users[role, unit])
        return client
    return as_user


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium, headless, for one module of browser journeys (tests/browser_support.py)."""
    from browser_support import CHROMIUM, CHROMIUM_ARGS, require_chromium
    from playwright.sync_api import sync_playwright

    require_chromium()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
