"""Importing users from CSV: all or nothing, every bad row named, a repeated import changes nothing, existing
users changed only where the file differs; the web's preview is what the confirmation applies; the CLI."""

import base64
import csv
import io
import json
import unicodedata

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from thidua.accounts.importing import NOT_MANAGED
from thidua.accounts.models import Profile, Role
from thidua.accounts.scopes import MUST_BIND, user_admin_of
from thidua.accounts.services import IMPORT_REASON_REQUIRED, PLAN_CHANGED, user_create, user_update, users_import
from thidua.accounts.views import CHANGED_FILE, CHANGED_OPTIONS, STALE_PREVIEW
from thidua.audit.chain import chain_verify
from thidua.audit.models import Change, ChangeSet
from thidua.campaigns.models import Campaign
from thidua.units.models import Unit

pytestmark = pytest.mark.django_db
User = get_user_model()
HEADER = ["ten_dang_nhap", "ho_ten", "vai_tro", "ma_don_vi", "hoat_dong"]
GOOD = [
    HEADER,
    ["to_vth_1", "Nguyễn Văn An", "to", "TO-VTH-1", "co"],
    ["huyen_nba", "Trần Thị Bình", "cong_an_huyen", "CAH-NBA", ""],
    ["pc06_lan", "Lê Thị Lan", "pc06", "", "co"],
    ["hoidong", "Phạm Văn Hội", "hoi_dong", "", ""],
    ["xem_ubnd", "Võ Văn Xem", "xem", "", "khong"],
]


def csv_bytes(rows, delimiter=",", bom=False) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8-sig" if bom else "utf-8")


def users_tables():
    return (list(User.objects.order_by("pk").values_list()), list(Profile.objects.order_by("pk").values_list()))


@pytest.fixture
def run(campaign):
    def run_import(rows, **options):
        data = rows if isinstance(rows, bytes) else csv_bytes(rows)
        return users_import(campaign=campaign, data=data, file_name="nguoi-dung.csv", actor="quan_tri", **options)
    return run_import


@pytest.fixture
def unchanged(snapshot):
    """Assert, after the test's action, that no data table, no history and no user changed."""
    before = snapshot(), users_tables()

    def check():
        assert (snapshot(), users_tables()) == before
    return check


# --- a good file ------------------------------------------------------------------------------------------------

def test_a_good_file_creates_every_user_with_a_one_time_password(run):
    report = run(GOOD)
    assert report.ok, [str(e) for e in report.errors]
    assert [r.username for r in report.creates] == ["to_vth_1", "huyen_nba", "pc06_lan", "hoidong", "xem_ubnd"]
    passwords = {username: password for username, _, password in report.passwords}
    for username in passwords:
        user = User.objects.select_related("profile__unit").get(username=username)
        assert user.check_password(passwords[username]) and user.profile.must_change_password
    clerk = Profile.objects.get(user__username="to_vth_1")
    assert (clerk.role, clerk.unit.code, clerk.user.first_name) == (Role.TEAM, "TO-VTH-1", "Nguyễn Văn An")
    assert not User.objects.get(username="xem_ubnd").is_active
    assert Profile.objects.get(user__username="pc06_lan").unit is None


def test_a_good_file_is_one_act_of_the_history_without_any_password(run):
    report = run(GOOD)
    act = ChangeSet.objects.get(pk=report.changeset_id)
    assert act.file_name == "nguoi-dung.csv" and act.file_sha256 == report.sha256 and act.actor == "quan_tri"
    assert act.source == "import" and act.summary == {"created": 5, "updated": 0, "unchanged": 0}
    change = act.changes.get(key="huyen_nba")
    assert change.before is None
    assert change.after == {"role": "cong_an_huyen", "unit": "CAH-NBA", "full_name": "Trần Thị Bình",
                            "active": True, "password": "one_time"}
    recorded = json.dumps(list(Change.objects.values_list("before", "after")))
    assert not any(password in recorded for _, _, password in report.passwords)
    assert chain_verify().ok


def test_importing_the_same_file_again_changes_nothing(run, snapshot):
    run(GOOD)
    after_first = snapshot(), users_tables()
    report = run(GOOD)
    assert report.ok and not report.creates and not report.updates and len(report.unchanged) == 5
    assert report.changeset_id is None and not report.passwords
    assert (snapshot(), users_tables()) == after_first


@pytest.mark.parametrize(("delimiter", "bom"), [(",", True), (";", False), (";", True)])
def test_bom_and_semicolons_are_read_alike(delimiter, bom, run):
    report = run(csv_bytes(GOOD, delimiter=delimiter, bom=bom))
    assert report.ok, [str(e) for e in report.errors]
    assert len(report.creates) == 5
    assert Profile.objects.get(user__username="huyen_nba").unit.code == "CAH-NBA"


def test_roles_may_be_written_as_their_vietnamese_labels_even_decomposed(run):
    decomposed = unicodedata.normalize("NFD", "Công an huyện")
    report = run([HEADER[:4], ["a1", "A", "Quản trị", ""], ["a2", "B", decomposed, "CAH-VTH"],
                  ["a3", "C", "hội đồng tđkt", ""], ["a4", "D", "TỔ", "TO-NBA-1"]])
    assert report.ok, [str(e) for e in report.errors]
    assert [r.role for r in report.creates] == [Role.ADMIN, Role.DISTRICT, Role.COUNCIL, Role.TEAM]


# --- existing users ---------------------------------------------------------------------------------------------

@pytest.fixture
def existing(campaign):
    return user_create(username="to_vth_1", password="Mat-khau-2021", role=Role.TEAM, full_name="Nguyễn Văn An",
                       unit=Unit.objects.get(campaign=campaign, code="TO-VTH-1"), actor="kiem-thu")


def test_an_existing_user_changes_only_where_the_file_differs(run, existing):
    rows = [HEADER, ["to_vth_1", "Nguyễn Văn An", "cong_an_huyen", "CAH-VTH", ""]]
    report = run(rows, reason="Lên Công an huyện")
    assert report.ok and [r.username for r in report.updates] == ["to_vth_1"] and not report.passwords
    change = Change.objects.filter(key="to_vth_1").latest("id")
    assert change.before == {"role": "to", "unit": "TO-VTH-1"}
    assert change.after == {"role": "cong_an_huyen", "unit": "CAH-VTH"}
    assert change.changeset.reason == "Lên Công an huyện"
    existing.refresh_from_db()
    assert existing.check_password("Mat-khau-2021") and not existing.profile.must_change_password


def test_a_role_or_unit_change_by_file_needs_a_reason(run, existing, unchanged):
    report = run([HEADER, ["to_vth_1", "Nguyễn Văn An", "to", "TO-NBA-1", ""]])
    assert [str(e) for e in report.errors] == [IMPORT_REASON_REQUIRED]
    unchanged()


def test_an_empty_or_absent_active_cell_keeps_the_users_state(run, existing):
    existing.is_active = False
    existing.save(update_fields=["is_active"])
    for rows in ([HEADER, ["to_vth_1", "Nguyễn Văn An", "to", "TO-VTH-1", ""]],
                 [HEADER[:4], ["to_vth_1", "Nguyễn Văn An", "to", "TO-VTH-1"]]):
        assert len(run(rows).unchanged) == 1
    assert not User.objects.get(username="to_vth_1").is_active
    report = run([HEADER, ["to_vth_1", "Nguyễn Văn An", "to", "TO-VTH-1", "có"]])
    assert [(r.before, r.after) for r in report.updates] == [({"active": False}, {"active": True})]


# --- bad files: every bad row named, nothing changed ------------------------------------------------------------

@pytest.mark.parametrize(("row", "column", "message"), [
    (["", "Nguyễn Văn An", "to", "TO-VTH-1", ""], "ten_dang_nhap", "ô bắt buộc đang trống"),
    (["nguyễn", "Nguyễn Văn An", "to", "TO-VTH-1", ""], "ten_dang_nhap", "chỉ gồm chữ không dấu"),
    (["to_vth_1", "Trùng", "to", "TO-VTH-1", ""], "ten_dang_nhap", "trùng với dòng 2"),
    (["moi", "", "to", "TO-VTH-1", ""], "ho_ten", "ô bắt buộc đang trống"),
    (["moi", "A" * 151, "to", "TO-VTH-1", ""], "ho_ten", "tối đa 150"),
    (["moi", "Mới", "vua", "TO-VTH-1", ""], "vai_tro", "«vua» không phải vai trò"),
    (["moi", "Mới", "", "TO-VTH-1", ""], "vai_tro", "ô bắt buộc đang trống"),
    (["moi", "Mới", "to", "TO-XYZ", ""], "ma_don_vi", "không có đơn vị mã «TO-XYZ»"),
    (["moi", "Mới", "to", "", ""], "ma_don_vi", "vai trò «Tổ» phải gắn với một đơn vị"),
    (["moi", "Mới", "to", "TO-VTH-1", "roi"], "hoat_dong", "«roi» không hợp lệ; chỉ nhận: co, khong"),
    (["quan_tri", "Tôi", "quan_tri", "PC06", "khong"], "hoat_dong", "Không thể tự khóa tài khoản của mình."),
    (["quan_tri", "Tôi", "pc06", "PC06", ""], "vai_tro", "Không thể tự bỏ vai trò Quản trị của mình."),
    (["to_khac", "Khác", "to", "TO-VTH-1", ""], "ten_dang_nhap", "đợt thi đua khác («tinh-khac»)"),
])
def test_a_bad_row_is_named_and_nothing_is_imported(row, column, message, run, campaign, snapshot):
    user_create(username="quan_tri", password="Mat-khau-2021", role=Role.ADMIN, actor="kiem-thu",
                unit=Unit.objects.get(campaign=campaign, code="PC06"))
    other = Campaign.objects.create(code="tinh-khac", name="Đợt khác", province_code="92", start=campaign.start,
                                    deadline=campaign.deadline, settings=campaign.settings)
    user_create(username="to_khac", password="Mat-khau-2021", role=Role.TEAM, actor="kiem-thu",
                unit=Unit.objects.create(campaign=other, code="TO-K", name="Tổ khác", kind="to"))
    before = snapshot(), users_tables()
    report = run([*GOOD[:3], row, *GOOD[3:]], reason="thử")
    assert [(e.row, e.column) for e in report.errors] == [(4, column)], [str(e) for e in report.errors]
    assert message in report.errors[0].message
    assert str(report.errors[0]).startswith(f"dòng 4, cột {column}: ")
    assert (snapshot(), users_tables()) == before


def test_every_bad_row_of_a_file_is_named_at_once(run, unchanged):
    report = run([HEADER, ["a b", "X", "to", "TO-VTH-1", ""], GOOD[1], ["c", "", "vua", "", "x"]])
    assert [(e.row, e.column) for e in report.errors] == [(2, "ten_dang_nhap"), (4, "ho_ten"), (4, "vai_tro"),
                                                          (4, "hoat_dong")]
    unchanged()


@pytest.mark.parametrize(("data", "where", "message"), [
    (b"", (1, None), "tệp trống"),
    (csv_bytes([["ten_dang_nhap", "ho_ten", "vai_tro"], ["a", "A", "xem"]]), (1, "ma_don_vi"),
     "thiếu cột bắt buộc"),
    (csv_bytes([[*HEADER, "mat_khau"], ["a", "A", "xem", "", "", "x"]]), (1, "mat_khau"), "cột không có trong mẫu"),
    (csv_bytes([[*HEADER, "ho_ten"]]), (1, "ho_ten"), "cột bị lặp lại"),
    ("ten_dang_nhap,ho_ten,vai_tro,ma_don_vi\r\na,Lê,xem,\r\n".encode("latin-1"), (2, None), "UTF-8"),
    (csv_bytes([HEADER[:4], ["a", "Nguyễn, Văn", "xem", "", "x"]]), (2, None), "kiểm tra dấu phân cách"),
    (csv_bytes([HEADER]), (None, None), "không có dòng người dùng nào"),
])
def test_a_bad_file_is_refused_as_a_whole(data, where, message, run, unchanged):
    report = run(data)
    assert [(e.row, e.column) for e in report.errors] == [where], [str(e) for e in report.errors]
    assert message in report.errors[0].message
    unchanged()


def test_a_unit_bound_admin_cannot_import_users_bound_to_no_unit(campaign):
    admin = user_create(username="quan_tri", password="Mat-khau-2021", role=Role.ADMIN, actor="kiem-thu",
                        unit=Unit.objects.get(campaign=campaign, code="PC06"))
    before = users_tables()
    report = users_import(campaign=campaign, data=csv_bytes(GOOD), actor="quan_tri", manager=user_admin_of(admin))
    assert [(e.row, e.column, e.message) for e in report.errors] == [(4, "ma_don_vi", MUST_BIND),
                                                                    (5, "ma_don_vi", MUST_BIND),
                                                                    (6, "ma_don_vi", MUST_BIND)]
    assert users_tables() == before


def test_a_unit_bound_admin_learns_nothing_of_an_account_they_do_not_manage(campaign, admin_client):
    other = Campaign.objects.create(code="tinh-khac", name="Đợt khác", province_code="92", start=campaign.start,
                                    deadline=campaign.deadline, settings=campaign.settings)
    user_create(username="bto", password="Mat-khau-2021", role=Role.TEAM, actor="kiem-thu",
                unit=Unit.objects.create(campaign=other, code="TO-B", name="Tổ B", kind="to"))
    user_create(username="pc06_tinh", password="Mat-khau-2021", role=Role.PC06, actor="kiem-thu")
    before = users_tables()
    response = upload(admin_client, csv_bytes([HEADER, ["bto", "x", "xem", "", "co"],
                                               ["pc06_tinh", "x", "xem", "", "co"]]))
    body = response.content.decode()
    errors = [(e.row, e.column, e.message) for e in response.context["report"].errors]
    assert errors == [(2, "ten_dang_nhap", NOT_MANAGED.format(username="bto")),
                      (3, "ten_dang_nhap", NOT_MANAGED.format(username="pc06_tinh"))]
    assert "tinh-khac" not in body and "Đợt khác" not in body
    assert users_tables() == before


# --- the web page: upload → preview → confirm -------------------------------------------------------------------

@pytest.fixture
def admin_client(campaign, client):
    admin = user_create(username="quan_tri", password="Mat-khau-2021", role=Role.ADMIN, actor="kiem-thu",
                        unit=Unit.objects.get(campaign=campaign, code="PC06"))
    client.force_login(admin)
    return client


BOUND = [HEADER, ["to_vth_1", "Nguyễn Văn An", "to", "TO-VTH-1", ""], ["huyen_nba", "Trần Thị Bình", "Công an huyện",
                                                                       "CAH-NBA", "co"]]


def upload(client, data: bytes, name="nguoi-dung.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    campaign = Campaign.objects.get(code="hau-giang-2021")
    return client.post(reverse("users_import"), {"campaign": campaign.pk,
                                                 "tep": SimpleUploadedFile(name, data, "text/csv")})


def confirm_data(response) -> dict:
    form = response.context["confirm_form"]
    return {field.name: field.value() for field in form}


def test_the_preview_shows_what_will_change_and_changes_nothing(admin_client, existing, snapshot):
    before = snapshot(), users_tables()
    rows = [*BOUND[:1], ["to_vth_1", "Nguyễn Văn An", "to", "TO-NBA-1", ""], BOUND[2]]
    response = upload(admin_client, csv_bytes(rows, delimiter=";", bom=True))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Sẽ tạo" in body and "huyen_nba" in body and "Sẽ sửa" in body
    assert ('<span class="before">Tổ cấp CCCD lưu động số 1 Vị Thanh (TO-VTH-1)</span> → '
            '<span class="after">Tổ cấp CCCD lưu động số 1 Ngã Bảy (TO-NBA-1)</span>') in body
    assert 'name="ly_do"' in body and response.context["confirm_form"] is None  # a unit changes: reason first
    assert (snapshot(), users_tables()) == before


def test_confirming_applies_what_was_previewed_and_shows_the_passwords_once(admin_client):
    preview = upload(admin_client, csv_bytes(BOUND))
    response = admin_client.post(reverse("users_import"), confirm_data(preview))
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    rows = response.context["rows"]
    assert [r[0] for r in rows] == ["to_vth_1", "huyen_nba"]
    for username, _, password in rows:
        assert password in response.content.decode()
        assert User.objects.get(username=username).check_password(password)
    href = response.context["href"]
    assert f'href="{href}" download="mat-khau-dung-mot-lan.csv"' in response.content.decode()
    downloaded = base64.b64decode(href.split(",", 1)[1]).decode("utf-8-sig").splitlines()
    assert downloaded[0] == "ten_dang_nhap,ho_ten,mat_khau_dung_mot_lan"
    assert downloaded[1:] == [",".join(r) for r in rows]
    again = admin_client.post(reverse("users_import"), confirm_data(preview))  # the same form sent twice
    body = again.content.decode()
    assert again.status_code == 400 and PLAN_CHANGED in body and "Tệp không thay đổi gì" in body
    assert not any(password in body for _, _, password in rows)
    assert User.objects.filter(username__in=["to_vth_1", "huyen_nba"]).count() == 2


def test_a_changed_file_at_confirmation_is_refused(admin_client, unchanged):
    data = confirm_data(upload(admin_client, csv_bytes(BOUND)))
    tampered = csv_bytes([*BOUND, ["ke_gian", "Kẻ gian", "quan_tri", "PC06", ""]])
    data["noi_dung"] = base64.b64encode(tampered).decode()
    response = admin_client.post(reverse("users_import"), data)
    assert response.status_code == 400 and CHANGED_FILE in response.content.decode()
    assert not User.objects.filter(username__in=["ke_gian", "to_vth_1"]).exists()
    unchanged()


def test_a_forged_confirmation_token_is_refused(admin_client):
    data = confirm_data(upload(admin_client, csv_bytes(BOUND)))
    data["ma"] = data["ma"][:-2] + ("AA" if not data["ma"].endswith("AA") else "BB")
    response = admin_client.post(reverse("users_import"), data)
    assert response.status_code == 400 and STALE_PREVIEW in response.content.decode()
    assert not User.objects.filter(username="to_vth_1").exists()


def test_users_changed_since_the_preview_are_not_overwritten(admin_client, existing):
    rows = [HEADER, ["to_vth_1", "Nguyễn Văn An", "to", "TO-VTH-1", "khong"]]
    data = confirm_data(upload(admin_client, csv_bytes(rows)))
    user_update(user=existing, full_name="Nguyễn Văn An", role=Role.TEAM, unit=existing.profile.unit,
                actor="nguoi-khac", active=False)  # someone else did it meanwhile: the plan is now empty
    existing.refresh_from_db()
    before = users_tables(), Change.objects.count()
    response = admin_client.post(reverse("users_import"), data)
    assert response.status_code == 400 and PLAN_CHANGED in response.content.decode()
    assert (users_tables(), Change.objects.count()) == before


@pytest.mark.parametrize("noi_dung", ["é", "bm9u\u00e9", "\u200b", "không phải base64"])
@pytest.mark.parametrize("confirming", [False, True])
def test_a_previewed_file_that_is_not_base64_is_a_stale_preview_not_a_server_error(noi_dung, confirming,
                                                                                   admin_client, unchanged):
    data = {"noi_dung": noi_dung, "ten_tep": "u.csv", "dot": Campaign.objects.get(code="hau-giang-2021").pk,
            "ly_do": "", **({"ma": "x"} if confirming else {})}
    response = admin_client.post(reverse("users_import"), data)
    assert response.status_code == 400 and STALE_PREVIEW in response.content.decode()
    unchanged()


def test_a_name_taken_between_the_plan_and_the_write_leaves_nothing_half_written(run, monkeypatch, snapshot):
    from thidua.accounts import services

    def plan_then_someone_creates_a_user(**options):
        report = plan(**options)
        User.objects.create_user(username="pc06_lan", password="x")  # a writer that takes no lock (the admin site)
        return report

    plan = services.plan_users_import
    monkeypatch.setattr(services, "plan_users_import", plan_then_someone_creates_a_user)
    before = snapshot(), User.objects.count()
    report = run(GOOD)
    assert [e.message for e in report.errors] == [PLAN_CHANGED] and not report.passwords
    assert (snapshot(), User.objects.count()) == (before[0], before[1] + 1)  # only the other writer's user


def reason_data(response) -> dict:
    form = response.context["reason_form"]
    return {field.name: field.value() for field in form}


def test_a_due_reason_is_asked_on_the_preview_before_anything_is_signed(admin_client, existing):
    rows = [HEADER, ["to_vth_1", "Nguyễn Văn An", "xem", "PC06", ""]]
    preview = upload(admin_client, csv_bytes(rows))
    body = preview.content.decode()
    assert preview.status_code == 200 and preview.context["confirm_form"] is None
    assert 'name="ma"' not in body and "Xem trước với lý do này" in body
    data = reason_data(preview) | {"ly_do": "Chuyển công tác"}
    with_reason = admin_client.post(reverse("users_import"), data)
    assert with_reason.status_code == 200 and "Chuyển công tác" in with_reason.content.decode()
    assert Profile.objects.get(user=existing).role == Role.TEAM  # a preview again changes nothing
    assert admin_client.post(reverse("users_import"), confirm_data(with_reason)).status_code == 302
    change = Change.objects.filter(key="to_vth_1").latest("id")
    assert change.changeset.reason == "Chuyển công tác" and change.after == {"role": "xem", "unit": "PC06"}


def test_a_reason_typed_with_the_upload_is_signed_with_the_preview(admin_client, existing, campaign):
    from django.core.files.uploadedfile import SimpleUploadedFile

    rows = [HEADER, ["to_vth_1", "Nguyễn Văn An", "xem", "PC06", ""]]
    preview = admin_client.post(reverse("users_import"), {
        "campaign": campaign.pk, "ly_do": "Chuyển công tác",
        "tep": SimpleUploadedFile("nguoi-dung.csv", csv_bytes(rows), "text/csv")})
    assert admin_client.post(reverse("users_import"), confirm_data(preview)).status_code == 302
    assert Change.objects.filter(key="to_vth_1").latest("id").changeset.reason == "Chuyển công tác"


@pytest.mark.parametrize(("field", "value", "named"), [
    ("ly_do", "Lý do khác", "lý do"),
    ("ly_do", "", "lý do"),
    ("ten_tep", "khac.csv", "tên tệp"),
])
def test_a_confirmation_with_other_options_than_previewed_is_refused(field, value, named, admin_client, existing,
                                                                     unchanged):
    rows = [HEADER, ["to_vth_1", "Nguyễn Văn An", "xem", "PC06", ""], BOUND[2]]
    preview = admin_client.post(reverse("users_import"), reason_data(upload(admin_client, csv_bytes(rows)))
                                | {"ly_do": "Chuyển công tác"})
    response = admin_client.post(reverse("users_import"), confirm_data(preview) | {field: value})
    body = response.content.decode()
    assert response.status_code == 400 and CHANGED_OPTIONS.format(options=named) in body
    unchanged()


def test_a_confirmation_for_another_campaign_than_previewed_is_refused(client, campaign, unchanged):
    other = Campaign.objects.create(code="tinh-khac", name="Đợt khác", province_code="92", start=campaign.start,
                                    deadline=campaign.deadline, settings=campaign.settings)
    Unit.objects.create(campaign=other, code="TO-VTH-1", name="Tổ trùng mã", kind="to")
    root = User.objects.create_superuser(username="goc", password="Mat-khau-2021")
    client.force_login(root)
    before = users_tables()
    data = confirm_data(upload(client, csv_bytes(BOUND[:2])))
    response = client.post(reverse("users_import"), data | {"dot": other.pk})
    assert response.status_code == 400 and CHANGED_OPTIONS.format(options="đợt thi đua") in response.content.decode()
    assert users_tables() == before


def test_a_preview_with_errors_offers_no_confirmation(admin_client):
    response = upload(admin_client, csv_bytes([HEADER, ["a b", "X", "to", "TO-VTH-1", ""], BOUND[2]]))
    body = response.content.decode()
    assert response.status_code == 400 and response.context["confirm_form"] is None
    assert response.context["reason_form"] is None and 'name="ma"' not in body and 'name="noi_dung"' not in body


def test_a_direct_confirmation_of_a_file_with_errors_says_the_file_has_errors(admin_client, unchanged):
    good = confirm_data(upload(admin_client, csv_bytes(BOUND)))
    bad = csv_bytes([*BOUND, ["ke gian", "Kẻ gian", "quan_tri", "PC06", ""]])
    for token in (good["ma"], "gia-mao"):
        response = admin_client.post(reverse("users_import"),
                                     good | {"noi_dung": base64.b64encode(bad).decode(), "ma": token})
        body = response.content.decode()
        assert response.status_code == 400 and "Tệp có lỗi" in body and "«ke gian» không hợp lệ" in body
        assert PLAN_CHANGED not in body and CHANGED_FILE not in body and STALE_PREVIEW not in body
        assert response.context["confirm_form"] is None
    unchanged()


def test_a_bad_file_shows_every_error_with_row_and_column(admin_client, unchanged):
    response = upload(admin_client, csv_bytes([HEADER, ["a b", "X", "to", "TO-XYZ", ""]]))
    assert response.status_code == 400
    body = response.content.decode()
    assert "Xác nhận nhập" not in body and "không có đơn vị mã «TO-XYZ»" in body
    assert '<td class="num">2</td><td><span class="code">ma_don_vi</span></td>' in body
    unchanged()


# --- the command ------------------------------------------------------------------------------------------------

def test_the_command_prints_the_new_users_one_time_passwords(campaign, tmp_path):
    path = tmp_path / "nguoi-dung.csv"
    path.write_bytes(csv_bytes(GOOD, bom=True))
    out = io.StringIO()
    call_command("import_users", str(path), campaign=campaign.code, actor="pc06-admin", stdout=out)
    printed = out.getvalue()
    assert "tạo 5, sửa 0, không đổi 0" in printed
    line = next(x for x in printed.splitlines() if x.strip().startswith("huyen_nba"))
    assert User.objects.get(username="huyen_nba").check_password(line.split()[1])
    assert ChangeSet.objects.filter(actor="pc06-admin", file_name="nguoi-dung.csv").count() == 1
    out = io.StringIO()
    call_command("import_users", str(path), campaign=campaign.code, stdout=out)
    assert "tạo 0, sửa 0, không đổi 5" in out.getvalue() and "Mật khẩu" not in out.getvalue()


def test_the_command_names_the_bad_rows_and_fails(campaign, tmp_path, unchanged):
    path = tmp_path / "nguoi-dung.csv"
    path.write_bytes(csv_bytes([HEADER, ["moi", "Mới", "to", "TO-XYZ", ""]]))
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 lỗi"):
        call_command("import_users", str(path), campaign=campaign.code, stderr=err)
    assert "dòng 2, cột ma_don_vi: không có đơn vị mã «TO-XYZ»" in err.getvalue()
    unchanged()


def test_the_command_run_as_a_unit_bound_admin_has_only_their_rights(campaign, tmp_path):
    user_create(username="quan_tri", password="Mat-khau-2021", role=Role.ADMIN, actor="kiem-thu",
                unit=Unit.objects.get(campaign=campaign, code="PC06"))
    user_create(username="qt_tinh", password="Mat-khau-2021", role=Role.ADMIN, actor="kiem-thu")
    path = tmp_path / "nguoi-dung.csv"
    path.write_bytes(csv_bytes([HEADER, ["qt_tinh", "Chiếm quyền", "xem", "", "khong"]]))
    before = users_tables()
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 lỗi"):
        call_command("import_users", str(path), campaign=campaign.code, actor="quan_tri", stderr=err)
    assert "dòng 2, cột ten_dang_nhap: tài khoản «qt_tinh» không thuộc phạm vi quản lý của bạn" in err.getvalue()
    assert users_tables() == before


def test_the_command_run_as_an_account_that_manages_no_one_is_refused(campaign, tmp_path, unchanged):
    user_create(username="to_vth", password="Mat-khau-2021", role=Role.TEAM, actor="kiem-thu",
                unit=Unit.objects.get(campaign=campaign, code="TO-VTH-1"))
    path = tmp_path / "nguoi-dung.csv"
    path.write_bytes(csv_bytes(GOOD))
    before = users_tables()
    with pytest.raises(CommandError, match="«to_vth» không phải Quản trị đang hoạt động"):
        call_command("import_users", str(path), campaign=campaign.code, actor="to_vth")
    assert users_tables() == before
