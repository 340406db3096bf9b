"""The REST API under /api/v1/: tokens, every endpoint's behaviour, the one error shape, the import's rules for
intake (all or nothing, every bad row named, idempotent, corrections with a reason), the history's source "api"."""

import datetime as dt
import json

import pytest
from django.core.management import CommandError, call_command

from thidua.accounts.models import Role
from thidua.accounts.services import user_create
from thidua.api.models import ApiToken
from thidua.api.services import LAST_USED_EVERY, TokenError, token_authenticate, token_create, token_revoke
from thidua.audit.chain import chain_verify
from thidua.audit.models import Change, ChangeSet, Source
from thidua.campaigns.models import Status
from thidua.intake.models import DailyReport, IntakeRecord, ReportStatus
from thidua.intake.services import report_save, report_submit, report_verify
from thidua.units.models import Unit

pytestmark = pytest.mark.django_db
BASE = "/api/v1"
CODE = "hau-giang-2021"
DAY = "2021-03-10"


@pytest.fixture
def persona(campaign):
    """Return a function creating a user of a role bound to a unit and a token for it; it returns the secret."""

    def make(role=Role.PC06, unit="PC06", username=None):
        user = user_create(username=username or f"u-{role}-{unit}", password="Mat-khau-2021", role=role,
                           actor="kiem-thu", unit=Unit.objects.get(campaign=campaign, code=unit) if unit else None)
        return token_create(user=user, name="kiểm thử", actor="kiem-thu")[1]

    return make


@pytest.fixture
def api(client):
    """Return a function calling the API with a token (or none); it returns (status, decoded JSON)."""

    def call(method, path, secret=None, body=None, raw=None, **params):
        headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        url = f"{BASE}{path}"
        if method == "get":
            response = client.get(url, params, headers=headers)
        else:
            data = raw if raw is not None else json.dumps(body if body is not None else {})
            response = getattr(client, method)(url, data, content_type="application/json", headers=headers)
        return response.status_code, response.json()

    return call


@pytest.fixture
def pc06(persona):
    return persona()


def row(ngay=DAY, ma_may="M-VTH-01", ma_xa="31318", so_ho_so=90):
    return {"ngay": ngay, "ma_may": ma_may, "ma_xa": ma_xa, "so_ho_so": so_ho_so}


def error_of(body) -> tuple[str, str, list]:
    """Return (code, message, details as (row, field, message)) of a body in the one error shape."""
    assert set(body) == {"loi"} and set(body["loi"]) == {"ma", "thong_diep", "chi_tiet"}, body
    details = [(d["dong"], d["truong"], d["thong_diep"]) for d in body["loi"]["chi_tiet"]]
    return body["loi"]["ma"], body["loi"]["thong_diep"], details


# --- tokens ---------------------------------------------------------------------------------------------------

def test_a_token_authenticates_its_user_and_only_its_hash_is_stored(api, persona):
    secret = persona(Role.TEAM, "TO-VTH-1", username="to-vth")
    token = ApiToken.objects.get(user__username="to-vth")
    assert secret.startswith(f"thd_{token.prefix}_") and secret not in {token.secret_hash, token.prefix}
    assert len(token.secret_hash) == 64 and token.last_used_at is None
    status, body = api("get", f"/campaigns/{CODE}", secret)
    assert status == 200 and body["role"] == "to"
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer thd_00000000_sai", "Basic dTpw", "thd_abc", "Bearer  "])
def test_a_missing_or_garbage_token_is_401(client, pc06, header):
    headers = {"Authorization": header} if header else {}
    response = client.get(f"{BASE}/campaigns", headers=headers)
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Bearer"
    assert error_of(response.json())[0] == "chua_xac_thuc"


def test_a_revoked_token_is_401(api, campaign, persona):
    secret = persona(username="bi-thu-hoi")
    user = ApiToken.objects.get(user__username="bi-thu-hoi").user
    assert api("get", "/campaigns", secret)[0] == 200
    token_revoke(user=user, prefix=secret.split("_")[1], actor="pc06", reason="Mất điện thoại")
    status, body = api("get", "/campaigns", secret)
    assert status == 401 and error_of(body)[0] == "chua_xac_thuc"


def test_the_token_of_an_inactive_user_is_401(api, persona, django_user_model):
    secret = persona(username="da-khoa")
    django_user_model.objects.filter(username="da-khoa").update(is_active=False)
    assert api("get", "/campaigns", secret)[0] == 401


def test_a_token_that_only_resembles_one_is_refused(pc06):
    assert token_authenticate(pc06[:-1] + ("A" if pc06[-1] != "A" else "B")) is None
    assert token_authenticate(pc06) is not None


def test_the_last_use_is_written_at_most_once_a_minute(pc06):
    token = ApiToken.objects.get()
    now = dt.datetime(2026, 1, 1, 8, tzinfo=dt.UTC)
    token_authenticate(pc06, now=now)
    token_authenticate(pc06, now=now + LAST_USED_EVERY / 2)
    token.refresh_from_db()
    assert token.last_used_at == now
    token_authenticate(pc06, now=now + LAST_USED_EVERY)
    token.refresh_from_db()
    assert token.last_used_at == now + LAST_USED_EVERY


def test_creating_and_revoking_a_token_are_acts_of_the_history(campaign, persona):
    secret = persona(Role.DISTRICT, "CAH-VTH", username="huyen")
    token = ApiToken.objects.get(user__username="huyen")
    created = Change.objects.get(entity="api_token", key=token.prefix)
    assert created.after == {"user": "huyen", "name": "kiểm thử", "secret_sha256": token.secret_hash}
    assert created.changeset.campaign == campaign
    assert secret not in json.dumps(created.after)
    token_revoke(user=token.user, prefix=token.prefix, actor="pc06", reason="Nghỉ việc")
    revoked = Change.objects.filter(entity="api_token", key=token.prefix).last()
    assert (revoked.before, revoked.after, revoked.changeset.reason) == ({"revoked": False}, {"revoked": True},
                                                                         "Nghỉ việc")
    assert chain_verify().ok
    with pytest.raises(TokenError, match="đã bị thu hồi"):
        token_revoke(user=token.user, prefix=token.prefix, actor="pc06")


def test_the_command_creates_lists_and_revokes_tokens(campaign, persona, api, capsys):
    user_create(username="to-cli", password="Mat-khau-2021", role=Role.TEAM, actor="kiem-thu",
                unit=Unit.objects.get(campaign=campaign, code="TO-VTH-1"))
    call_command("api_token", "to-cli", name="điện thoại")
    secret = capsys.readouterr().out.strip().splitlines()[-1]
    assert api("get", "/campaigns", secret)[0] == 200
    prefix = secret.split("_")[1]
    call_command("api_token", "to-cli", listing=True)
    listed = capsys.readouterr().out
    assert prefix in listed and "điện thoại" in listed and "đang dùng" in listed and secret not in listed
    call_command("api_token", "to-cli", revoke=prefix)
    assert f"Đã thu hồi mã {prefix}" in capsys.readouterr().out
    assert api("get", "/campaigns", secret)[0] == 401
    with pytest.raises(CommandError, match="không có mã truy cập «khong-co»"):
        call_command("api_token", "to-cli", revoke="khong-co")
    with pytest.raises(CommandError, match="Không có tài khoản «ai-do»"):
        call_command("api_token", "ai-do")


def test_a_signed_in_session_is_not_a_token(client, campaign, django_user_model):
    user = user_create(username="web", password="Mat-khau-2021", role=Role.PC06, actor="kiem-thu",
                       unit=Unit.objects.get(campaign=campaign, code="PC06"))
    client.force_login(user)
    assert client.get(f"{BASE}/campaigns").status_code == 401


def test_writes_need_no_csrf_token_since_no_cookie_is_trusted(pc06):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(
        f"{BASE}/campaigns/{CODE}/intake", json.dumps({"rows": [row()]}), content_type="application/json",
        headers={"Authorization": f"Bearer {pc06}"})
    assert response.status_code == 200


# --- reads ----------------------------------------------------------------------------------------------------

def test_campaigns_are_listed_and_shown_with_the_callers_role(api, persona):
    secret = persona(Role.DISTRICT, "CAH-VTH")
    status, body = api("get", "/campaigns", secret)
    assert status == 200 and [c["code"] for c in body] == [CODE]
    status, body = api("get", f"/campaigns/{CODE}", secret)
    assert status == 200
    assert (body["start"], body["deadline"], body["status"]) == ("2021-02-25", "2021-07-01", "draft")
    assert (body["role"], body["whole_campaign"], body["read_only"]) == ("cong_an_huyen", False, False)


def test_an_unknown_campaign_is_404_in_the_error_shape(api, pc06):
    status, body = api("get", "/campaigns/khong-co", pc06)
    assert status == 404 and error_of(body)[:2] == ("khong_tim_thay", "Không có đợt thi đua «khong-co».")


def test_units_are_those_of_the_scope_with_the_contracts_keys(api, persona):
    status, body = api("get", f"/campaigns/{CODE}/units", persona(Role.DISTRICT, "CAH-VTH"))
    assert status == 200
    assert body == [
        {"ma_don_vi": "CAH-VTH", "ten_don_vi": "Công an thành phố Vị Thanh", "loai": "cong_an_huyen",
         "ma_don_vi_cap_tren": None, "dia_ban": ["930"], "nhom_thi_dua": "cap_huyen"},
        {"ma_don_vi": "TO-VTH-1", "ten_don_vi": "Tổ cấp CCCD lưu động số 1 Vị Thanh", "loai": "to",
         "ma_don_vi_cap_tren": "CAH-VTH", "dia_ban": ["31318", "31321"], "nhom_thi_dua": None},
    ]


def test_a_unit_shows_the_communes_it_serves_and_its_teams_intake(api, pc06):
    status, body = api("get", f"/campaigns/{CODE}/units/TO-NBA-1", pc06)
    assert status == 200 and body["dia_ban"] == [] and body["ma_don_vi_cap_tren"] == "CAH-NBA"
    assert {"31340", "31341"} <= set(body["communes"]) and body["intake"] == 75 + 30
    assert api("get", f"/campaigns/{CODE}/units/CAH-VTH", pc06)[1]["intake"] == 85 + 40 + 60


def test_a_unit_outside_the_scope_is_404(api, persona):
    status, body = api("get", f"/campaigns/{CODE}/units/TO-NBA-1", persona(Role.TEAM, "TO-VTH-1"))
    assert status == 404 and error_of(body)[1] == "Không có đơn vị «TO-NBA-1» trong phạm vi của bạn."


def test_machines_come_with_their_assignments_in_scope(api, persona, pc06):
    status, body = api("get", f"/campaigns/{CODE}/machines", persona(Role.DISTRICT, "CAH-NBA"))
    assert status == 200
    assert body == [
        {"ma_may": "M-NBA-01", "assignments": [{"ma_to": "TO-NBA-1", "tu_ngay": "2021-03-01",
                                                "den_ngay": "2021-05-31", "chi_tieu": None, "chi_tieu_ngay": 90}]},
        {"ma_may": "M-NBA-02", "assignments": [{"ma_to": "TO-NBA-1", "tu_ngay": "2021-03-01",
                                                "den_ngay": "2021-06-30", "chi_tieu": 9000, "chi_tieu_ngay": None}]},
    ]
    assert [m["ma_may"] for m in api("get", f"/campaigns/{CODE}/machines", pc06)[1]] == ["M-NBA-01", "M-NBA-02",
                                                                                      "M-VTH-01"]


def test_intake_is_listed_in_key_order_filtered_and_paged(api, pc06):
    status, body = api("get", f"/campaigns/{CODE}/intake", pc06)
    assert status == 200 and body["count"] == 5
    assert body["items"][0] == {"ngay": "2021-03-01", "ma_may": "M-VTH-01", "ma_xa": "31318", "so_ho_so": 85,
                                "ma_to": "TO-VTH-1"}
    assert [(r["ngay"], r["ma_may"]) for r in body["items"]][-2:] == [("2021-03-02", "M-VTH-01"),
                                                                       ("2021-03-03", "M-NBA-02")]
    page = api("get", f"/campaigns/{CODE}/intake", pc06, page=2, page_size=2)[1]
    assert (page["count"], page["page"], [r["so_ho_so"] for r in page["items"]]) == (5, 2, [75, 60])
    filtered = api("get", f"/campaigns/{CODE}/intake", pc06, tu_ngay="2021-03-02", den_ngay="2021-03-02",
                   ma_to="TO-VTH-1")[1]
    assert [r["so_ho_so"] for r in filtered["items"]] == [60]
    assert api("get", f"/campaigns/{CODE}/intake", pc06, ma_may="M-NBA-02")[1]["count"] == 1


def test_intake_of_teams_outside_the_scope_is_not_listed(api, persona):
    body = api("get", f"/campaigns/{CODE}/intake", persona(Role.TEAM, "TO-VTH-1"))[1]
    assert body["count"] == 3 and {r["ma_to"] for r in body["items"]} == {"TO-VTH-1"}
    assert api("get", f"/campaigns/{CODE}/intake", persona(Role.TEAM, "TO-VTH-1", "to-2"), ma_to="TO-NBA-1")[1][
        "count"] == 0


def test_reads_take_a_bounded_number_of_queries(api, pc06, django_assert_max_num_queries):
    for path in ("/units", "/machines", "/intake"):
        with django_assert_max_num_queries(8):
            assert api("get", f"/campaigns/{CODE}{path}", pc06)[0] == 200


def test_bad_query_parameters_are_422_in_the_error_shape(api, pc06):
    status, body = api("get", f"/campaigns/{CODE}/intake", pc06, tu_ngay="10/03/2021", page=0)
    code, _, details = error_of(body)
    assert status == 422 and code == "du_lieu_khong_hop_le"
    assert (None, "tu_ngay", "cần một ngày có thật, dạng YYYY-MM-DD") in details
    assert (None, "page", "cần số ≥ 1") in details


# --- writing intake -------------------------------------------------------------------------------------------

def post_intake(api, secret, rows, **extra):
    return api("post", f"/campaigns/{CODE}/intake", secret, {"rows": rows, **extra})


def test_rows_are_written_and_the_act_is_recorded_with_source_api(api, persona):
    secret = persona(Role.TEAM, "TO-VTH-1", username="to-vth")
    status, body = post_intake(api, secret, [row(), row(ma_xa="31321", so_ho_so=25)])
    assert (status, body) == (200, {"added": 2, "changed": 0, "unchanged": 0})
    assert IntakeRecord.objects.get(day=DAY, commune__code="31321").applications == 25
    act = ChangeSet.objects.filter(changes__entity="thu_nhan", changes__key=f"{DAY}|M-VTH-01|31318").get()
    assert (act.source, act.actor) == (Source.API, "to-vth")
    assert chain_verify().ok


def test_rows_of_several_teams_and_days_are_written_in_one_request(api, pc06):
    rows = [row(), row(ngay="2021-03-11", so_ho_so=70), row(ma_may="M-NBA-01", ma_xa="31340", so_ho_so=50)]
    assert post_intake(api, pc06, rows) == (200, {"added": 3, "changed": 0, "unchanged": 0})
    assert DailyReport.objects.filter(day__in=[DAY, "2021-03-11"]).count() == 3
    assert set(ChangeSet.objects.filter(changes__entity="thu_nhan", changes__key__contains="2021-03-1")
               .values_list("source", flat=True)) == {Source.API}


def test_posting_the_same_rows_twice_changes_nothing_the_second_time(api, pc06, snapshot):
    rows = [row(), row(ma_may="M-NBA-02", ma_xa="31341", so_ho_so=12)]
    post_intake(api, pc06, rows)
    before = snapshot()
    assert post_intake(api, pc06, rows) == (200, {"added": 0, "changed": 0, "unchanged": 2})
    assert snapshot() == before


def test_stored_rows_of_the_base_data_are_unchanged_when_posted_again(api, pc06, snapshot):
    before = snapshot()
    rows = [row(ngay="2021-03-01", so_ho_so=85), row(ngay="2021-03-02", ma_may="M-NBA-01", ma_xa="31340",
                                                     so_ho_so=75)]
    assert post_intake(api, pc06, rows) == (200, {"added": 0, "changed": 0, "unchanged": 2})
    assert snapshot() == before


def test_one_bad_row_changes_nothing_and_every_bad_row_is_named(api, pc06, snapshot):
    before = snapshot()
    rows = [row(),                                                    # good, team VTH
            row(ma_may="M-NBA-01", ma_xa="31340", so_ho_so=5),         # good, another team
            row(ma_xa="31340"),                                       # commune outside the team's area
            row(ma_may="M-KHONG"),                                     # unknown machine
            row(ngay="2021-08-01"),                                   # outside the campaign
            row(ma_may="M-NBA-01", ma_xa="31341", so_ho_so=2500),      # above max_per_machine_day
            row(ngay="2021-03-11", ma_may="M-NBA-01", ma_xa="99999")]  # not a commune of the province
    status, body = post_intake(api, pc06, rows)
    code, message, details = error_of(body)
    assert status == 400 and code == "yeu_cau_khong_hop_le"
    assert message == "Không dòng nào được ghi: 5 dòng có lỗi."
    assert (2, "ma_xa", "xã 31340 không thuộc địa bàn của tổ TO-VTH-1") in details
    assert (3, "ma_may", "không có máy mã «M-KHONG»") in details
    assert any(d[:2] == (4, "ngay") and "nằm ngoài thời gian thi đua" in d[2] for d in details)
    assert any(d[:2] == (5, "so_ho_so") and "vượt mức tối đa 2.000 hồ sơ một máy một ngày" in d[2] for d in details)
    assert (6, "ma_xa", "«99999» không phải mã xã của tỉnh 93") in details
    assert {d[0] for d in details} == {2, 3, 4, 5, 6}
    assert snapshot() == before


def test_a_key_twice_in_one_request_is_refused(api, pc06, snapshot):
    before = snapshot()
    status, body = post_intake(api, pc06, [row(), row(ma_xa="31321"), row(so_ho_so=91)])
    assert status == 400
    assert error_of(body)[2] == [(2, "ma_xa", "trùng khóa (ngay, ma_may, ma_xa) với dòng 0 trong cùng yêu cầu")]
    assert snapshot() == before


def test_a_badly_typed_body_is_422_with_each_row_and_field(api, pc06, snapshot):
    before = snapshot()
    rows = [row(so_ho_so=12.0), row(so_ho_so=-1), row(so_ho_so="12"), row(ngay=1615334400), {"ngay": DAY},
            row(so_ho_so=True), row(so_ho_so=1.5)]
    status, body = post_intake(api, pc06, rows)
    code, _, details = error_of(body)
    assert status == 422 and code == "du_lieu_khong_hop_le"
    assert (1, "so_ho_so", "cần số ≥ 0") in details
    assert (2, "so_ho_so", "cần một số nguyên") in details
    assert (3, "ngay", "cần một ngày dạng YYYY-MM-DD") in details
    assert (4, "ma_may", "thiếu trường bắt buộc") in details and (4, "so_ho_so", "thiếu trường bắt buộc") in details
    assert (5, "so_ho_so", "cần một số nguyên") in details
    assert (6, "so_ho_so", "cần một số nguyên, không có phần lẻ") in details
    assert 0 not in {d[0] for d in details}
    assert snapshot() == before


@pytest.mark.parametrize("payload, field", [({}, "rows"), ({"rows": []}, "rows"), ({"rows": "x"}, "rows"),
                                            ({"rows": [row()] * 2001}, "rows")])
def test_a_body_without_rows_is_422(api, pc06, payload, field):
    status, body = api("post", f"/campaigns/{CODE}/intake", pc06, payload)
    assert status == 422 and error_of(body)[2][0][1] == field


def test_a_body_too_large_is_413_in_the_error_shape(api, pc06, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    status, body = post_intake(api, pc06, [row(), row(ma_xa="31321")])
    assert status == 413 and error_of(body)[0] == "yeu_cau_qua_lon"


def test_a_body_that_is_not_json_is_400_in_the_error_shape(api, pc06):
    status, body = api("post", f"/campaigns/{CODE}/intake", pc06, raw="ngay=2021-03-10")
    assert status == 400 and error_of(body)[1].startswith("Không đọc được thân yêu cầu")


def test_a_correction_of_a_submitted_day_needs_a_reason(api, pc06, campaign):
    post_intake(api, pc06, [row()])
    report_submit(campaign=campaign, team=Unit.objects.get(code="TO-VTH-1"), day=dt.date(2021, 3, 10), actor="to")
    status, body = post_intake(api, pc06, [row(so_ho_so=95)])
    assert status == 400 and error_of(body)[2] == [(0, "so_ho_so", "ngày đã gửi: sửa số liệu cần ghi lý do")]
    assert post_intake(api, pc06, [row(so_ho_so=95)], ly_do="Đếm lại phiếu") == (
        200, {"added": 0, "changed": 1, "unchanged": 0})
    change = Change.objects.filter(entity="thu_nhan", key=f"{DAY}|M-VTH-01|31318").last()
    assert (change.before, change.after) == ({"so_ho_so": 90}, {"so_ho_so": 95})
    assert (change.changeset.reason, change.changeset.source) == ("Đếm lại phiếu", Source.API)


def test_a_verified_day_is_locked_and_rolls_back_the_other_team_days(api, pc06, campaign, snapshot):
    team = Unit.objects.get(code="TO-VTH-1")
    report_verify(report=report_submit(campaign=campaign, team=team, day=dt.date(2021, 3, 10), actor="to"),
                  actor="huyen")
    before = snapshot()
    status, body = post_intake(api, pc06, [row(ma_may="M-NBA-01", ma_xa="31340", so_ho_so=5), row(), row("2021-03-10",
                                                                                                        ma_xa="31321")])
    details = error_of(body)[2]
    assert status == 400 and [d[0] for d in details] == [1, 2]
    assert "đã được xác nhận và khóa" in details[0][2]
    assert snapshot() == before


def test_a_closed_campaign_refuses_intake(api, pc06, campaign, snapshot):
    campaign.status = Status.CLOSED
    campaign.save(update_fields=["status"])
    before = snapshot()
    status, body = post_intake(api, pc06, [row()])
    assert status == 400 and "số liệu đã khóa" in error_of(body)[2][0][2]
    assert snapshot() == before


def test_a_clerk_cannot_write_for_another_team_and_nothing_is_written(api, persona, snapshot):
    secret = persona(Role.TEAM, "TO-VTH-1")
    before = snapshot()
    status, body = post_intake(api, secret, [row(), row(ma_may="M-NBA-01", ma_xa="31340", so_ho_so=5)])
    code, _, details = error_of(body)
    assert status == 403 and code == "khong_co_quyen"
    assert details == [(1, "ma_may", "máy M-NBA-01 ngày 10/03/2021 không thuộc tổ nào trong phạm vi của bạn")]
    assert snapshot() == before


@pytest.mark.parametrize("role, unit", [(Role.VIEWER, "PC06"), (Role.COUNCIL, None)])
def test_read_only_roles_cannot_write_intake(api, persona, role, unit, snapshot):
    secret = persona(role, unit)
    before = snapshot()
    status, body = post_intake(api, secret, [row()])
    assert status == 403 and error_of(body)[0] == "khong_co_quyen"
    assert snapshot() == before


# --- daily reports --------------------------------------------------------------------------------------------

def report_action(api, secret, action, team="TO-VTH-1", day=DAY, **body):
    return api("post", f"/campaigns/{CODE}/reports/{team}/{day}/{action}", secret, body)


def test_a_day_is_submitted_verified_and_reopened_through_the_api(api, persona, campaign):
    clerk, district, pc06 = (persona(Role.TEAM, "TO-VTH-1", "to"), persona(Role.DISTRICT, "CAH-VTH", "huyen"),
                             persona(Role.PC06, "PC06", "pc06"))
    post_intake(api, clerk, [row()])
    status, body = report_action(api, clerk, "submit")
    assert status == 200 and (body["status"], body["submitted_by"], body["ma_to"]) == ("submitted", "to", "TO-VTH-1")
    assert body["late"] is True  # the day is long past
    status, body = report_action(api, district, "verify")
    assert status == 200 and (body["status"], body["verified_by"]) == ("verified", "huyen")
    assert post_intake(api, clerk, [row(so_ho_so=1)], ly_do="x")[0] == 400
    status, body = report_action(api, pc06, "reopen", ly_do="Tổ báo sai xã")
    assert status == 200 and body["status"] == "draft"
    acts = ChangeSet.objects.filter(changes__entity="bao_cao", changes__key=f"TO-VTH-1|{DAY}")
    assert list(acts.order_by("id").values_list("source", "actor")) == [("api", "to"), ("api", "huyen"),
                                                                        ("api", "pc06")]
    assert chain_verify().ok


def test_submitting_again_through_the_api_keeps_the_first_sending(api, persona, campaign, monkeypatch):
    clerk, pc06 = persona(Role.TEAM, "TO-VTH-1", "to"), persona(Role.PC06, "PC06", "pc06")
    monkeypatch.setenv("THIDUA_SIMULATED_TODAY", DAY)  # sent on the day itself: on time
    first = report_action(api, clerk, "submit")[1]
    report_action(api, pc06, "verify")
    report_action(api, pc06, "reopen", ly_do="Tổ báo sai xã")
    monkeypatch.setenv("THIDUA_SIMULATED_TODAY", "2021-03-15")
    status, body = report_action(api, clerk, "submit")
    assert status == 200 and body["status"] == "submitted" and body["late"] is False
    assert dt.datetime.fromisoformat(body["submitted_at"]) == dt.datetime.fromisoformat(first["submitted_at"])


def test_a_day_without_a_machine_cannot_be_submitted_through_the_api(api, pc06):
    status, body = report_action(api, pc06, "submit", team="TO-NBA-1", day="2021-02-26")
    assert status == 400 and "không giữ máy nào ngày 26/02/2021" in error_of(body)[1]


def test_reopening_needs_a_reason(api, pc06, campaign):
    team = Unit.objects.get(code="TO-VTH-1")
    report_verify(report=report_submit(campaign=campaign, team=team, day=dt.date(2021, 3, 10), actor="to"),
                  actor="huyen")
    status, body = report_action(api, pc06, "reopen", ly_do="  ")
    assert status == 400 and error_of(body)[1] == "Mở lại ngày đã xác nhận cần ghi lý do."
    assert DailyReport.objects.get(team=team, day=DAY).status == ReportStatus.VERIFIED


def test_only_a_submitted_day_can_be_verified(api, pc06, campaign):
    status, body = report_action(api, pc06, "verify")
    assert status == 400 and error_of(body)[1] == "Chỉ xác nhận được ngày đã gửi; ngày này đang «Đang nhập»."
    report_save(campaign=campaign, team=Unit.objects.get(code="TO-VTH-1"), day=dt.date(2021, 3, 10),
                rows=[("M-VTH-01", "31318", 3)], actor="to")
    assert "Chỉ xác nhận được ngày đã gửi" in error_of(report_action(api, pc06, "verify")[1])[1]


def test_a_day_submitted_twice_is_400(api, pc06):
    assert report_action(api, pc06, "submit")[0] == 200
    status, body = report_action(api, pc06, "submit")
    assert status == 400 and error_of(body)[1] == "Ngày 10/03/2021 đã ở trạng thái «Đã gửi, chờ xác nhận»."


def test_role_rules_of_the_report_pages_apply(api, persona):
    clerk, district = persona(Role.TEAM, "TO-VTH-1"), persona(Role.DISTRICT, "CAH-VTH")
    report_action(api, clerk, "submit")
    status, body = report_action(api, clerk, "verify")
    assert status == 403 and error_of(body)[1] == "Vai trò «Tổ» không được xác nhận báo cáo ngày."
    report_action(api, district, "verify")
    assert report_action(api, district, "reopen", ly_do="x")[0] == 403


def test_a_report_day_outside_the_campaign_or_of_no_team_is_404(api, pc06):
    status, body = report_action(api, pc06, "submit", day="2021-08-01")
    assert status == 404 and "nằm ngoài thời gian thi đua" in error_of(body)[1]
    status, body = report_action(api, pc06, "submit", team="CAH-VTH")
    assert status == 404 and error_of(body)[1] == "Không có tổ «CAH-VTH» trong phạm vi của bạn."
    assert report_action(api, pc06, "submit", day="10-03-2021")[0] == 422


# --- standings ------------------------------------------------------------------------------------------------

def test_the_standings_are_the_json_of_the_score_command(api, persona, capsys):
    call_command("score", CODE, as_of=dt.date(2021, 3, 2), format="json")
    printed = json.loads(capsys.readouterr().out)
    status, body = api("get", f"/campaigns/{CODE}/standings", persona(Role.TEAM, "TO-VTH-1"), ngay="2021-03-02")
    assert status == 200 and body == printed
    assert [s["unit"] for s in body["groups"][0]["standings"]] == ["CAH-VTH", "CAH-NBA"]


def test_the_standings_default_to_today_capped_at_the_deadline(api, pc06):
    body = api("get", f"/campaigns/{CODE}/standings", pc06)[1]
    assert (body["as_of"], body["final"]) == ("2021-07-01", True)


def test_standings_before_the_start_are_400(api, pc06):
    status, body = api("get", f"/campaigns/{CODE}/standings", pc06, ngay="2021-01-01")
    assert status == 400 and error_of(body)[1] == "Ngày 01/01/2021 trước ngày bắt đầu đợt thi đua (25/02/2021)."


# --- the one error shape, the schema, the docs ----------------------------------------------------------------

def test_a_method_a_path_does_not_take_is_405_in_the_error_shape(client, pc06):
    response = client.delete(f"{BASE}/campaigns/{CODE}", headers={"Authorization": f"Bearer {pc06}"})
    assert response.status_code == 405 and response["Allow"] == "GET"
    assert error_of(response.json())[:2] == ("phuong_thuc_khong_ho_tro", "Địa chỉ này không nhận phương thức DELETE.")


@pytest.mark.parametrize("path", ["/khong-co", "/", "/campaigns/x/y/z"])
def test_an_unknown_path_is_404_in_the_error_shape(client, path):
    response = client.post(f"{BASE}{path}")
    assert response.status_code == 404 and error_of(response.json())[0] == "khong_tim_thay"


def test_a_server_error_is_500_in_the_error_shape(api, pc06, monkeypatch):
    def broken(user):
        raise RuntimeError("hỏng")

    monkeypatch.setattr("thidua.api.views.campaigns_visible", broken)
    status, body = api("get", "/campaigns", pc06)
    assert status == 500 and error_of(body)[0] == "loi_he_thong"


def test_errors_are_json_in_utf8_readable_vietnamese(client):
    response = client.get(f"{BASE}/campaigns")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert "Cần mã truy cập hợp lệ".encode() in response.content


def test_the_openapi_schema_declares_the_error_responses(client):
    schema = client.get(f"{BASE}/openapi.json").json()
    operations = [op for path in schema["paths"].values() for op in path.values()]
    assert len(operations) == 17  # 11, and issue 10: nominations (list, create, accept, return, approve, withdraw)
    for op in operations:
        codes = set(op["responses"])
        assert {"401", "404", "422", "500"} <= codes, op["operationId"]
        error_schema = {"$ref": "#/components/schemas/ErrorOut"}
        assert all(op["responses"][c]["content"]["application/json"]["schema"] == error_schema
                   for c in codes - {"200"})
    posts = [op for path in schema["paths"].values() for m, op in path.items() if m == "post"]
    assert all({"400", "403"} <= set(op["responses"]) for op in posts)
    assert schema["components"]["securitySchemes"]["BearerToken"] == {"type": "http", "scheme": "bearer"}


def test_the_docs_page_needs_no_cdn_and_no_inline_script(client):
    response = client.get(f"{BASE}/docs")
    body = response.content.decode()
    assert response.status_code == 200 and "script-src 'self'" in response["Content-Security-Policy"]
    assert "/static/ninja/swagger-ui-bundle.js" in body and "cdn" not in body.lower()
    inline = [chunk for chunk in body.split("<script")[1:] if "src=" not in chunk.split(">")[0]]
    assert all('type="application/json"' in chunk.split(">")[0] for chunk in inline)
