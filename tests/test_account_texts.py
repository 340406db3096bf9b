"""Hostile text in account fields — NUL and other control characters, over-long values — on every path that takes
it (login, password change, user pages, the users CSV, `thidua import-users`, `thidua api-token`) is answered with
a clear Vietnamese message and changes nothing, on SQLite as on PostgreSQL; and the two server errors of issue 8 in
this area (a user edit whose unit the rules refuse, the audit page of a users import act) are gone."""

import base64
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from thidua.accounts.models import LoginFailure, Profile, Role
from thidua.accounts.scopes import MUST_BIND
from thidua.accounts.services import AccountError, user_create, user_password_reset, user_update, users_import
from thidua.api.models import ApiToken
from thidua.api.services import TokenError, token_create, token_revoke
from thidua.audit.models import REASON_MAX, Change, ChangeSet
from thidua.units.models import Unit

pytestmark = pytest.mark.django_db
User = get_user_model()
PASSWORD = "Mat-khau-2021"
HEADER = "ten_dang_nhap,ho_ten,vai_tro,ma_don_vi,hoat_dong\r\n"


def tables():
    return (list(User.objects.order_by("pk").values_list()), list(Profile.objects.order_by("pk").values_list()),
            list(ApiToken.objects.order_by("pk").values_list()), ChangeSet.objects.count(), Change.objects.count())


@pytest.fixture
def unit(campaign):
    return lambda code: Unit.objects.get(campaign=campaign, code=code)


@pytest.fixture
def admin(unit, client):
    user = user_create(username="quan_tri", password=PASSWORD, role=Role.ADMIN, unit=unit("PC06"), actor="t")
    client.force_login(user)
    return user


@pytest.fixture
def clerk(unit):
    return user_create(username="to_vth", password=PASSWORD, role=Role.TEAM, unit=unit("TO-VTH-1"),
                       full_name="Nguyễn Văn An", actor="t")


@pytest.fixture
def unchanged(campaign):
    before = tables()
    yield
    assert tables() == before


# --- the two server errors --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("changes", "message"), [
    ({"role": "pc06", "unit": ""}, MUST_BIND),  # bound to no unit by an administrator bound to one
    ({"role": "to", "unit": ""}, "phải gắn với một đơn vị"),
])
def test_a_user_edit_whose_unit_the_rules_refuse_says_why(changes, message, client, admin, clerk):
    before = tables()
    data = {"full_name": "Nguyễn Văn An", "role": "to", "unit": clerk.profile.unit_id, "active": "on",
            "reason": "thử"} | changes
    response = client.post(reverse("user_edit", args=[clerk.pk]), data)
    assert response.status_code == 400 and message in response.content.decode()
    assert tables() == before


def test_the_audit_page_of_a_users_import_act_shows_its_counts(campaign, client, admin):
    report = users_import(campaign=campaign, data=(HEADER + "to_moi,Người Mới,to,TO-VTH-1,\r\n").encode(),
                          file_name="nguoi-dung.csv", actor="quan_tri")
    response = client.get(reverse("audit_act", args=[report.changeset_id]))
    body = response.content.decode()
    assert response.status_code == 200 and "nguoi-dung.csv" in body and "to_moi" in body
    assert ('<tr><td>Người dùng</td><td class="num">1</td><td class="num">0</td><td class="num">0</td></tr>'
            in body)


# --- the login form and the password change ---------------------------------------------------------------------

# Control characters never reach the form: the site's guard (web/middleware.py) refuses the request first.
GUARDED = "có ký tự điều khiển (như NUL)"


@pytest.mark.parametrize(("username", "password", "status", "message"), [
    ("a\x00b", PASSWORD, 400, GUARDED),
    ("to_vth", "Mat\x00khau", 400, GUARDED),
    ("a" * 10_000, PASSWORD, 200, "Tên đăng nhập và mật khẩu"),
    ("to_vth", "x" * 100_000, 200, "Tên đăng nhập và mật khẩu"),
    ("a\x01b", PASSWORD, 400, GUARDED),
])
def test_a_hostile_login_is_refused_in_vietnamese(username, password, status, message, client, clerk):
    response = client.post(reverse("login"), {"username": username, "password": password})
    assert response.status_code == status and message in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert all(len(name) <= 150 and "\x00" not in name
               for name in LoginFailure.objects.values_list("username", flat=True))


@pytest.mark.parametrize(("new", "message"), [("Rieng\x00cua-toi-77", GUARDED),
                                              ("Rieng-cua-toi-77" * 20, "Mật khẩu quá dài: tối đa 128 ký tự.")])
def test_a_hostile_new_password_is_refused_in_vietnamese(new, message, client, clerk):
    client.force_login(clerk)
    response = client.post(reverse("password_change"), {"old_password": PASSWORD, "new_password1": new,
                                                        "new_password2": new})
    assert response.status_code == 400 and message in response.content.decode()
    clerk.refresh_from_db()
    assert clerk.check_password(PASSWORD)


# --- the user pages and the services behind them ----------------------------------------------------------------

@pytest.mark.parametrize(("field", "value", "message"), [
    ("full_name", "Lê\x00Văn", GUARDED),
    ("full_name", "Lê\x07Văn", GUARDED),
    ("full_name", "Lê\tVăn", "Họ tên có ký tự điều khiển (U+0009)"),
    ("full_name", "A" * 151, "150"),
    ("reason", "lý\x00do", GUARDED),
    ("reason", "lý\x1bdo", GUARDED),
    ("reason", "x" * (REASON_MAX + 1), str(REASON_MAX)),
])
def test_hostile_text_on_the_user_pages_is_refused(field, value, message, client, admin, clerk, unit):
    before = tables()
    create = {"username": "moi", "full_name": "Mới", "role": "to", "unit": unit("TO-VTH-1").pk} | {field: value}
    edit = {"full_name": "Nguyễn Văn An", "role": "xem", "unit": unit("PC06").pk, "active": "on",
            "reason": "Chuyển"} | {field: value}
    for url, data in ((reverse("user_create"), create), (reverse("user_edit", args=[clerk.pk]), edit)):
        response = client.post(url, data)
        assert response.status_code == 400 and message in response.content.decode(), url
    if field == "reason":
        response = client.post(reverse("user_reset_password", args=[clerk.pk]), {"reason": value})
        assert response.status_code == 400 and message in response.content.decode()
    assert tables() == before


@pytest.mark.parametrize("call", [
    lambda u, c: user_create(username="a\x00b", password=PASSWORD, role=Role.VIEWER, actor="t"),
    lambda u, c: user_create(username="moi", password=PASSWORD, role=Role.VIEWER, actor="t", full_name="a\x00b"),
    lambda u, c: user_create(username="moi", password=PASSWORD, role=Role.VIEWER, actor="t\x00"),
    lambda u, c: user_create(username="moi", password=PASSWORD, role=Role.VIEWER, actor="t" * 151),
    lambda u, c: user_update(user=c, full_name="a\x00", role=Role.TEAM, unit=u("TO-VTH-1"), actor="t"),
    lambda u, c: user_update(user=c, full_name="A", role=Role.VIEWER, unit=None, actor="t", reason="\x00"),
    lambda u, c: user_password_reset(user=c, actor="t", reason="a\x00"),
])
def test_the_services_refuse_hostile_text_before_the_database_sees_it(call, unit, clerk, unchanged):
    with pytest.raises(AccountError):
        call(unit, clerk)


# --- the users CSV ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("row", "column", "message"), [
    ("to_moi,Lê\x00Văn,to,TO-VTH-1,", "ho_ten", "có ký tự điều khiển (U+0000)"),
    ("to\x00moi,Lê Văn,to,TO-VTH-1,", "ten_dang_nhap", "có ký tự điều khiển (U+0000)"),
    ("to_moi,Lê Văn,t\x00o,TO-VTH-1,", "vai_tro", "có ký tự điều khiển (U+0000)"),
    ("to_moi,Lê Văn,to,TO-VTH-1\x00,", "ma_don_vi", "có ký tự điều khiển (U+0000)"),
    ("to_moi,Lê Văn,to,TO-VTH-1,c\x00o", "hoat_dong", "có ký tự điều khiển (U+0000)"),
    ('to_moi,"Lê\tVăn",to,TO-VTH-1,', "ho_ten", "có ký tự điều khiển (U+0009)"),
    ("to_moi,Lê Văn," + "x" * 10_000 + ",TO-VTH-1,", "vai_tro", "dài 10000 ký tự; tối đa 150"),
    ("to_moi,Lê Văn,to," + "M" * 200 + ",", "ma_don_vi", "dài 200 ký tự; tối đa 150"),
])
def test_a_hostile_cell_of_the_users_csv_is_named(row, column, message, campaign, unchanged):
    report = users_import(campaign=campaign, data=(HEADER + row + "\r\n").encode(), file_name="u.csv", actor="t")
    assert [(e.row, e.column) for e in report.errors] == [(2, column)], [str(e) for e in report.errors]
    assert message in report.errors[0].message


@pytest.mark.parametrize(("data", "message"), [
    (b"ten_dang_nhap\x00,ho_ten,vai_tro,ma_don_vi\r\n", "dòng tiêu đề có ký tự điều khiển"),
    ((HEADER + '"' + "x" * 200_000 + '",A,to,TO-VTH-1,\r\n').encode(), "có ô dài hơn"),
])
def test_a_hostile_users_csv_is_refused_in_vietnamese(data, message, campaign, unchanged):
    report = users_import(campaign=campaign, data=data, file_name="u.csv", actor="t")
    assert len(report.errors) == 1 and message in report.errors[0].message, [str(e) for e in report.errors]
    assert "field" not in report.errors[0].message


@pytest.mark.parametrize(("options", "message"), [({"reason": "a\x00"}, "Lý do có ký tự điều khiển"),
                                                  ({"actor": "a" * 151}, "Người thực hiện dài 151"),
                                                  ({"file_name": "u\x00.csv"}, "Tên tệp có ký tự điều khiển")])
def test_the_users_import_refuses_hostile_options(options, message, campaign, unchanged):
    report = users_import(campaign=campaign, data=(HEADER + "to_moi,Lê Văn,to,TO-VTH-1,\r\n").encode(),
                          **({"file_name": "u.csv", "actor": "t"} | options))
    assert [str(e) for e in report.errors] == [next(str(e) for e in report.errors if message in str(e))]


def test_a_hostile_csv_on_the_page_is_previewed_with_its_errors(campaign, client, admin, unchanged):
    data = (HEADER + "to_moi,Lê\x00Văn,to,TO-VTH-1,\r\n").encode()
    response = client.post(reverse("users_import"), {"campaign": campaign.pk,
                                                     "tep": SimpleUploadedFile("u.csv", data, "text/csv")})
    assert response.status_code == 400 and "có ký tự điều khiển (U+0000)" in response.content.decode()
    sent = {"noi_dung": base64.b64encode(data).decode(), "ten_tep": "u.csv", "dot": campaign.pk, "ma": "x"}
    response = client.post(reverse("users_import"), sent)
    assert response.status_code == 400 and "có ký tự điều khiển (U+0000)" in response.content.decode()


# --- the commands -----------------------------------------------------------------------------------------------

@pytest.fixture
def users_file(tmp_path):
    path = tmp_path / "nguoi-dung.csv"
    path.write_bytes((HEADER + "to_moi,Lê Văn,to,TO-VTH-1,\r\n").encode())
    return path


@pytest.mark.parametrize(("options", "message"), [
    ({"campaign": "hau-giang\x00"}, "--campaign có ký tự điều khiển"),
    ({"campaign": "x" * 61}, "--campaign dài 61"),
    ({"actor": "quan\x00tri"}, "--actor có ký tự điều khiển"),
    ({"actor": "q" * 151}, "--actor dài 151"),
    ({"reason": "lý\x00do"}, "--reason có ký tự điều khiển"),
    ({"reason": "x" * (REASON_MAX + 1)}, f"--reason dài {REASON_MAX + 1}"),
])
def test_import_users_refuses_hostile_arguments(options, message, campaign, users_file, unchanged):
    with pytest.raises(CommandError, match=message):
        call_command("import_users", str(users_file), **({"campaign": campaign.code} | options))


def test_import_users_refuses_a_path_with_a_nul(campaign, unchanged):
    with pytest.raises(CommandError, match="Đường dẫn tệp có ký tự không hợp lệ"):
        call_command("import_users", "nguoi\x00dung.csv", campaign=campaign.code)


@pytest.mark.parametrize(("args", "options", "message"), [
    (["a\x00b"], {}, "Không có tài khoản"),
    (["u" * 151], {}, "Không có tài khoản"),
    (["to_vth"], {"name": "khóa\x00"}, "Tên của mã truy cập có ký tự điều khiển"),
    (["to_vth"], {"name": "k" * 101}, "Tên của mã truy cập dài 101 ký tự; tối đa 100"),
    (["to_vth"], {"revoke": "ab\x00"}, "Tiền tố của mã truy cập có ký tự điều khiển"),
    (["to_vth"], {"revoke": "a" * 40}, "Tiền tố của mã truy cập dài 40 ký tự; tối đa 16"),
])
def test_api_token_refuses_hostile_arguments(args, options, message, clerk, unchanged):
    with pytest.raises(CommandError, match=message):
        call_command("api_token", *args, stdout=io.StringIO(), **options)


def test_revoking_a_token_refuses_a_hostile_reason(clerk):
    token, _secret = token_create(user=clerk, name="may-tinh", actor="t")
    before = tables()
    with pytest.raises(TokenError, match="Lý do có ký tự điều khiển"):
        token_revoke(user=clerk, prefix=token.prefix, actor="t", reason="\x00")
    assert tables() == before


def test_the_account_page_refuses_an_over_long_key_name(client, clerk):
    client.force_login(clerk)
    before = tables()
    response = client.post(reverse("account"), {"name": "k" * 101})
    assert response.status_code == 400 and "tối đa 100" in response.content.decode()
    assert tables() == before
