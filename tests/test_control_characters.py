"""NUL and the other control characters are refused in every part of a request before any view or the database sees
them (thidua/web/middleware.py): a Vietnamese page on the site, the API's error shape under /api/. Over-long text is
refused with a Vietnamese message wherever it would otherwise reach a column too short for it (PostgreSQL enforces
the lengths; SQLite does not)."""

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from thidua.accounts.models import Role
from thidua.accounts.services import user_create
from thidua.api.errors import CONTROL_CHARACTER
from thidua.api.models import ApiToken
from thidua.api.services import token_create
from thidua.intake.models import DailyReport, ReportStatus
from thidua.intake.services import report_save, report_submit, report_verify
from thidua.lib.text import has_control, json_control_path
from thidua.lib.vn import number
from thidua.units.models import Unit
from thidua.web.middleware import QUERY_VALUE_MAX

pytestmark = pytest.mark.django_db
C = "hau-giang-2021"
DAY = "2021-03-10"
REFUSED = "ký tự điều khiển"


@pytest.mark.parametrize("text", ["a\x00b", "\x01", "\x1b[2J", "\x7f", "\x85", "\ud800", "\x0b", "\x0c"])
def test_control_characters_are_found(text):
    assert has_control(text)


@pytest.mark.parametrize("text", ["Lý do:\r\n\tdòng hai", "Đ" * 100, "\u202e\ufeff", "", "'; DROP TABLE"])
def test_tab_line_breaks_and_ordinary_text_are_allowed(text):
    assert not has_control(text)


def test_the_path_of_a_control_character_in_json_is_named():
    body = {"rows": [{"ma_may": "ok"}, {"ma_may": "a\x00"}], "ly_do": "x"}
    assert json_control_path(body) == ("rows", 1, "ma_may")
    assert json_control_path({"a\x00": 1}) == ("a\x00",)
    assert json_control_path([[[[["\x1b"]]]]]) == (0, 0, 0, 0, 0)
    deep = ["x"]
    for _ in range(100_000):
        deep = [deep]
    assert json_control_path(deep) is None and json_control_path({"rows": [1, True, None]}) is None


# --- the site --------------------------------------------------------------------------------------------------

@pytest.fixture
def admin(login):
    return login(Role.ADMIN, "PC06")


def assert_refused_page(response):
    assert response.status_code == 400
    assert [t.name for t in response.templates][:1] == ["400.html"]
    body = response.content.decode()
    assert REFUSED in body and "Xóa ký tự đó" in body
    assert response["Content-Security-Policy"] and response["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("query", [{"nguoi": "a\x00b"}, {"khoa": "\x00"}, {"doi_tuong": "x\x1b"}, {"a\x00": "1"},
                                   {"tu": "2021-03-10\x00"}])
def test_a_control_character_in_an_audit_filter_is_refused(admin, query):
    assert_refused_page(admin.get(reverse("audit_list"), query))


def test_a_control_character_in_the_history_key_is_refused(admin):
    url = reverse("record_history", args=[C])
    assert_refused_page(admin.get(url, {"doi_tuong": "thu_nhan", "khoa": f"{DAY}|M-VTH-01\x00|31318"}))


@pytest.mark.parametrize("path", [f"/dot/{C}/don-vi/TO%00VTH/", f"/dot/{C}/xep-hang/TO-VTH-1%1B/",
                                  f"/dot/{C}/bao-cao/TO%00VTH-1/{DAY}/", f"/dot/{C}/bao-cao/TO-VTH-1/2021-03-1%000/",
                                  f"/dot/{C}/nhap-tep/loi/{'0' * 63}%00.csv", "/nhat-ky/%00/"])
def test_a_control_character_in_a_code_of_the_address_is_refused(admin, path):
    assert_refused_page(admin.get(path))


def test_a_control_character_in_a_form_field_is_refused_and_changes_nothing(login, campaign, snapshot):
    team = login(Role.TEAM, "TO-VTH-1")
    before = snapshot()
    url = reverse("report_day", args=[C, "TO-VTH-1", DAY])
    assert_refused_page(team.post(url, {"n-M-VTH-01-31318": "7\x00", "action": "save"}))
    assert_refused_page(team.post(url, {"n-M-VTH-01-31318": "7", "action": "save", "reason": "a\x00"}))
    assert_refused_page(team.post(url, {"n-M-VTH-01-31318\x00": "7", "action": "save"}))
    assert snapshot() == before


def test_a_control_character_in_an_uploaded_files_field_is_refused(admin, settings, tmp_path):
    settings.THIDUA_UPLOAD_DIR = tmp_path
    upload = SimpleUploadedFile("thu_nhan.csv", b"ngay,ma_may,ma_xa,so_ho_so\r\n")
    assert_refused_page(admin.post(reverse("import_upload", args=[C]), {"tep\x00": upload}))
    upload = SimpleUploadedFile("thu_nhan.csv", b"ngay,ma_may,ma_xa,so_ho_so\r\n")
    assert_refused_page(admin.post(reverse("import_upload", args=[C]), {"tep": upload, "ly_do": "\x08"}))
    assert not list(tmp_path.iterdir())


def test_a_control_character_in_a_file_name_never_reaches_the_page(admin, settings, tmp_path):
    """Django drops the unprintable characters of an uploaded file's name: the name shown and kept is clean."""
    settings.THIDUA_UPLOAD_DIR = tmp_path
    content = b"ngay,ma_may,ma_xa,so_ho_so\r\n10/03/2021,M-VTH-01,31318,5\r\n"
    upload = SimpleUploadedFile("thu\x00_nhan\x1b.csv", content)
    response = admin.post(reverse("import_upload", args=[C]), {"tep": upload})
    assert response.status_code == 200 and response.context["report"].file_name == "thu_nhan.csv"


def test_a_control_character_in_a_cookie_is_refused_before_the_session_is_read(client):
    client.cookies["sessionid"] = "abcdefgh\x00ijkl"
    assert_refused_page(client.get(reverse("home")))


def test_tab_and_line_breaks_in_a_reason_are_accepted(login, campaign):
    team = Unit.objects.get(campaign=campaign, code="TO-VTH-1")
    day = dt.date.fromisoformat(DAY)
    report_save(campaign=campaign, team=team, day=day, rows=[("M-VTH-01", "31318", 5)], actor="to")
    report_verify(report=report_submit(campaign=campaign, team=team, day=day, actor="to"), actor="pc06")
    pc06 = login(Role.PC06, "PC06")
    reason = "Tổ ghi nhầm xã:\r\n\t- dòng 1"
    assert pc06.post(reverse("report_day", args=[C, "TO-VTH-1", DAY]),
                     {"action": "reopen", "reason": reason}).status_code == 302
    assert DailyReport.objects.get(team=team, day=day).status == ReportStatus.DRAFT


def test_the_refusal_is_in_english_for_whoever_chose_english(admin):
    admin.cookies["django_language"] = "en"
    body = admin.get(reverse("audit_list"), {"nguoi": "\x00"}).content.decode()
    assert "control character" in body and REFUSED not in body


def test_a_malformed_request_refused_by_django_gets_the_vietnamese_page(client, settings):
    settings.ALLOWED_HOSTS = ["thidua.example"]
    response = client.get(reverse("login"), headers={"host": "evil.example"})
    assert response.status_code == 400
    assert "Yêu cầu không hợp lệ" in response.content.decode() and b"Bad Request" not in response.content


# --- the API ---------------------------------------------------------------------------------------------------

@pytest.fixture
def token(campaign):
    user = user_create(username="pc06-api", password="Mat-khau-2021", role=Role.PC06, actor="kiem-thu",
                       unit=Unit.objects.get(campaign=campaign, code="PC06"))
    return {"Authorization": f"Bearer {token_create(user=user, name='kiểm thử', actor='kiem-thu')[1]}"}


def assert_refused_json(response, row=None, field=None):
    assert response.status_code == 400
    error = response.json()["loi"]
    assert error["ma"] == CONTROL_CHARACTER and REFUSED in error["thong_diep"]
    if field:
        assert error["chi_tiet"] == [{"dong": row, "truong": field,
                                      "thong_diep": "có ký tự điều khiển, không được nhận"}]


@pytest.mark.parametrize("path", [f"/api/v1/campaigns/{C}/units/TO%00VTH-1", "/api/v1/campaigns/hau%00giang",
                                  f"/api/v1/campaigns/{C}/reports/TO-VTH-1/2021-03-1%000/submit"])
def test_the_api_refuses_a_control_character_in_the_path(client, token, path):
    assert_refused_json(client.get(path, headers=token))


def test_the_api_refuses_a_control_character_in_a_query_parameter(client, token):
    assert_refused_json(client.get(f"/api/v1/campaigns/{C}/intake", {"ma_may": "M\x00"}, headers=token))


@pytest.mark.parametrize(("body", "row", "field"), [
    ({"rows": [{"ngay": DAY, "ma_may": "M-VTH-01", "ma_xa": "31318", "so_ho_so": 1},
               {"ngay": DAY, "ma_may": "M-VTH-01\x00", "ma_xa": "31321", "so_ho_so": 1}]}, 1, "ma_may"),
    ({"rows": [{"ngay": DAY, "ma_may": "M-VTH-01", "ma_xa": "31318", "so_ho_so": 1}], "ly_do": "a\x1b"}, None, "ly_do"),
    ({"rows": [{"ngay": DAY, "ma_may": "M-VTH-01", "ma_xa": "31318", "so_ho_so": 1, "x": {"y": ["\x00"]}}]}, 0, None),
])
def test_the_api_refuses_a_control_character_anywhere_in_a_body(client, token, snapshot, body, row, field):
    before = snapshot()
    response = client.post(f"/api/v1/campaigns/{C}/intake", json.dumps(body), content_type="application/json",
                           headers=token)
    assert_refused_json(response, row, field)
    assert snapshot() == before


def test_the_api_refuses_a_lone_surrogate(client, token):
    body = '{"rows": [{"ngay": "2021-03-10", "ma_may": "\\ud800", "ma_xa": "31318", "so_ho_so": 1}]}'
    assert_refused_json(client.post(f"/api/v1/campaigns/{C}/intake", body, content_type="application/json",
                                    headers=token), 0, "ma_may")


def test_the_api_answers_a_body_nested_too_deep_to_read_as_unreadable(client, token):
    response = client.post(f"/api/v1/campaigns/{C}/reports/TO-VTH-1/{DAY}/reopen", "[" * 100_000 + "]" * 100_000,
                           content_type="application/json", headers=token)
    assert response.status_code == 400 and response.json()["loi"]["ma"] == "yeu_cau_khong_hop_le"


# --- over-long text --------------------------------------------------------------------------------------------

def test_an_api_key_name_longer_than_its_column_is_refused(login):
    clerk = login(Role.TEAM, "TO-VTH-1")
    response = clerk.post(reverse("account"), {"action": "create", "name": "k" * 101})
    assert response.status_code == 400 and "tối đa 100" in response.content.decode()
    assert not ApiToken.objects.exists()
    assert clerk.post(reverse("account"), {"action": "create", "name": "k" * 100}).status_code == 200


def test_a_count_of_thousands_of_digits_is_refused_with_a_message(login):
    team = login(Role.TEAM, "TO-VTH-1")
    response = team.post(reverse("report_day", args=[C, "TO-VTH-1", DAY]),
                         {"n-M-VTH-01-31318": "9" * 5000, "action": "save"})
    assert response.status_code == 400 and "quá lớn" in response.content.decode()
    cell = team.post(reverse("report_cell", args=[C, "TO-VTH-1", DAY]),
                     {"o": "n-M-VTH-01-31318", "n-M-VTH-01-31318": "9" * 5000})
    assert cell.status_code == 200 and "quá lớn" in cell.content.decode()


def test_an_uploaded_file_name_too_long_to_keep_is_refused(admin, settings, tmp_path):
    settings.THIDUA_UPLOAD_DIR = tmp_path
    upload = SimpleUploadedFile("Đ" * 200 + ".csv", b"ngay,ma_may,ma_xa,so_ho_so\r\n")
    response = admin.post(reverse("import_upload", args=[C]), {"tep": upload})
    assert response.status_code == 400 and "Tên tệp quá dài" in response.content.decode()


# --- the length of a page's searches and filters -----------------------------------------------------------------

LISTS = [("audit_list", [], "nguoi"), ("audit_list", [], "khoa"), ("audit_list", [], "ly_do"), ("user_list", [], "q"),
         ("record_history", [C], "khoa"), ("reports", [C], "ngay")]


@pytest.mark.parametrize(("name", "args", "key"), LISTS)
def test_a_search_longer_than_any_a_page_takes_is_refused_in_vietnamese(admin, name, args, key):
    """Past SQLite's longest LIKE pattern (50,000 bytes) a search was a server error: every one is now bounded."""
    url = reverse(name, args=args)
    extra = {"doi_tuong": "thu_nhan"} if name == "record_history" else {}
    for length in (100_000, QUERY_VALUE_MAX + 1):
        response = admin.get(url, {**extra, key: "x" * length})
        assert response.status_code == 400 and [t.name for t in response.templates][:1] == ["400.html"]
        assert f"tham số «{key}» của địa chỉ dài {number(length)} ký tự" in response.content.decode()
    assert admin.get(url, {**extra, key: "x" * QUERY_VALUE_MAX}).status_code in (200, 404)
