"""Who may act is checked against the history as what decides a rank is: `thidua audit verify` finds a role, a
superuser or staff flag, an account's activity or unit, a one-time password's flag, an API token (revoked, its secret,
its owner) or the territory changed, added or removed directly in the database — while every change made through the
services, the users import, `thidua createsuperuser` and `thidua load-territory` verifies."""

import dataclasses
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from thidua.accounts.models import Profile, Role
from thidua.accounts.services import user_create, user_password_change, user_password_reset, user_update, users_import
from thidua.api.models import ApiToken
from thidua.api.services import token_create, token_revoke
from thidua.audit.chain import changeset_seal
from thidua.audit.models import ChangeSet
from thidua.audit.services import changeset_open, record_change
from thidua.campaigns.services import campaign_init
from thidua.exchange.importer import workbook_import
from thidua.intake.integrity import data_verify
from thidua.territory.models import AdminUnit
from thidua.territory.services import territory_load
from thidua.units.models import Unit

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def accounts(campaign):
    """A team's user with a token (revoked) and another (in use), an unbound PC06 user, all through the services."""
    team = user_create(username="to-vth", password="Mat-khau-2021", role=Role.TEAM, actor="quan-tri",
                       unit=Unit.objects.get(campaign=campaign, code="TO-VTH-1"), must_change_password=True)
    user_password_change(user=team, password="Mat-khau-moi-2021", actor="to-vth")
    pc06 = user_create(username="pc06", password="Mat-khau-2021", role=Role.PC06, actor="quan-tri")
    user_password_reset(user=pc06, actor="quan-tri", reason="Quên mật khẩu")
    revoked, _ = token_create(user=team, name="cũ", actor="to-vth")
    token_revoke(user=team, prefix=revoked.prefix, actor="to-vth", reason="Mất máy")
    token_create(user=team, name="đang dùng", actor="to-vth")
    assert data_verify() is None
    return team


def found(*fragments):
    problem = data_verify()
    assert problem is not None, "the change made in the database was not found"
    for fragment in fragments:
        assert fragment in problem, problem
    return problem


def test_every_change_of_accounts_through_the_services_verifies(campaign, accounts):
    user_update(user=accounts, full_name="Nguyễn Văn Tổ", role=Role.DISTRICT, reason="Lên huyện",
                unit=Unit.objects.get(campaign=campaign, code="CAH-VTH"), actor="quan-tri", active=False)
    data = "ten_dang_nhap,ho_ten,vai_tro,ma_don_vi\r\nmoi,Người Mới,to,TO-NBA-1\r\npc06,PC06,pc06,\r\n".encode()
    assert not users_import(campaign=campaign, data=data, actor="quan-tri", file_name="u.csv").errors
    call_command("createsuperuser", "--noinput", username="goc", email="", stdout=io.StringIO())
    assert User.objects.get(username="goc").is_superuser
    assert data_verify() is None


@pytest.mark.parametrize("change, shown", [
    ({"is_superuser": True}, "Người dùng «to-vth»: quyền superuser trong cơ sở dữ liệu là «có», nhật ký ghi «không»"),
    ({"is_staff": True}, "quyền vào trang quản trị hệ thống trong cơ sở dữ liệu là «có»"),
    ({"is_active": False}, "hoạt động trong cơ sở dữ liệu là «không», nhật ký ghi «có»"),
    ({"first_name": "Người khác"}, "họ tên trong cơ sở dữ liệu là «Người khác»"),
])
def test_a_users_flags_changed_in_the_database_are_found(accounts, change, shown):
    User.objects.filter(username="to-vth").update(**change)
    found(shown)


def test_a_role_escalated_in_the_database_is_found(accounts):
    Profile.objects.filter(user__username="to-vth").update(role=Role.ADMIN)
    found("Người dùng «to-vth»: vai trò trong cơ sở dữ liệu là «quan_tri», nhật ký ghi «to»")


def test_a_user_moved_to_another_unit_is_found(campaign, accounts):
    Profile.objects.filter(user__username="to-vth").update(unit=Unit.objects.get(campaign=campaign, code="TO-NBA-1"))
    found("đơn vị trong cơ sở dữ liệu là «TO-NBA-1», nhật ký ghi «TO-VTH-1»")


def test_a_user_moved_to_the_same_unit_of_another_campaign_is_found(campaign, base_data, accounts):
    other, _ = campaign_init(config=dataclasses.replace(campaign.config, code="khac"), actor="pc06")
    assert workbook_import(campaign=other, path=base_data, actor="pc06").ok
    Profile.objects.filter(user__username="to-vth").update(unit=Unit.objects.get(campaign=other, code="TO-VTH-1"))
    found("đợt thi đua của đơn vị trong cơ sở dữ liệu là «khac», nhật ký ghi «hau-giang-2021»")


def test_an_unbound_user_bound_in_the_database_is_found(campaign, accounts):
    Profile.objects.filter(user__username="pc06").update(unit=Unit.objects.get(campaign=campaign, code="PC06"))
    found("Người dùng «pc06»: đơn vị trong cơ sở dữ liệu là «PC06», nhật ký ghi (trống)")


def test_a_one_time_password_flag_cleared_in_the_database_is_found(accounts):
    Profile.objects.filter(user__username="pc06").update(must_change_password=False)
    found("Người dùng «pc06»: phải đổi mật khẩu trong cơ sở dữ liệu là «không», nhật ký ghi «có»")


def test_a_user_slipped_into_the_database_is_found(accounts):
    User.objects.create_superuser(username="ke-gian", password="Mat-khau-2021")
    found("Người dùng «ke-gian» có trong cơ sở dữ liệu nhưng nhật ký không ghi")


def test_a_revoked_token_reinstated_is_found(accounts):
    ApiToken.objects.filter(name="cũ").update(revoked_at=None)
    prefix = ApiToken.objects.get(name="cũ").prefix
    found(f"Khóa API «{prefix}»: đã thu hồi trong cơ sở dữ liệu là «không», nhật ký ghi «có»")


def test_a_tokens_secret_replaced_is_found(accounts):
    ApiToken.objects.filter(name="đang dùng").update(secret_hash="a" * 64)
    found("mã băm của khóa trong cơ sở dữ liệu là «aaaa")


def test_a_token_given_to_another_user_is_found(accounts):
    ApiToken.objects.filter(name="đang dùng").update(user=User.objects.get(username="pc06"))
    found("tài khoản trong cơ sở dữ liệu là «pc06», nhật ký ghi «to-vth»")


def test_a_token_slipped_into_the_database_is_found(accounts):
    ApiToken.objects.create(user=User.objects.get(username="pc06"), name="lén", prefix="deadbeef",
                            secret_hash="b" * 64)
    found("Khóa API «deadbeef» có trong cơ sở dữ liệu nhưng nhật ký không ghi")


# --- the territory --------------------------------------------------------------------------------------------

def test_a_commune_re_parented_in_the_territory_is_found(campaign):
    AdminUnit.objects.filter(structure="legacy", code="31318").update(
        parent=AdminUnit.objects.get(structure="legacy", code="931"))
    found("Địa bàn hành chính của tỉnh 93 (cấu trúc legacy) không khớp dấu vân tay", "load-territory --province 93")


def test_a_commune_renamed_in_the_territory_is_found(campaign):
    AdminUnit.objects.filter(structure="legacy", code="31321").update(name="Xã khác")
    found("tỉnh 93 (cấu trúc legacy) không khớp")


def test_loading_the_territory_again_repairs_it_and_seals_it(campaign):
    vi_thanh = AdminUnit.objects.get(structure="legacy", code="930")
    AdminUnit.objects.filter(structure="legacy", code="31318").update(
        parent=AdminUnit.objects.get(structure="legacy", code="931"))
    assert data_verify() is not None
    summary = territory_load(province="93", actor="quan-tri")
    assert summary.updated == 1
    assert AdminUnit.objects.get(structure="legacy", code="31318").parent == vi_thanh
    assert data_verify() is None


def test_a_province_never_sealed_is_named_with_the_command_that_seals_it(campaign):
    AdminUnit.objects.create(structure="legacy", level="province", code="94", name="Sóc Trăng", province_code="94")
    found("Địa bàn hành chính của tỉnh 94 (cấu trúc legacy) chưa được ghi vào nhật ký",
          "`thidua load-territory --province 94 --structure legacy`")


# --- a database of the version that did not record them -------------------------------------------------------

def seal_legacy() -> str:
    out = io.StringIO()
    call_command("audit", "seal-legacy", "--reason", "Nâng cấp", stdout=out)
    return out.getvalue()


@pytest.fixture
def older(accounts):
    """What the version before left: a superuser made by Django's createsuperuser (no act), and a token whose
    creation recorded its owner and name only."""
    User.objects.create_superuser(username="goc-cu", password="Mat-khau-2021")
    ApiToken.objects.create(user=accounts, name="cũ hơn", prefix="0ld70ken", secret_hash="c" * 64)
    act = changeset_open(campaign=None, actor="to-vth", source="cli")
    record_change(act, "api_token", "0ld70ken", None, {"user": "to-vth", "name": "cũ hơn"})
    changeset_seal(act)
    return accounts


def test_the_accounts_an_older_version_left_are_named_with_the_command_that_records_them(older):
    found("Người dùng «goc-cu» có trong cơ sở dữ liệu nhưng nhật ký không ghi", "`thidua audit seal-legacy`")
    User.objects.filter(username="goc-cu").delete()
    found("Khóa API «0ld70ken»: mã băm của khóa trong cơ sở dữ liệu là «cccc", "nhật ký ghi (trống)",
          "`thidua audit seal-legacy`")


def test_seal_legacy_records_them_once(older):
    assert "Đã ghi bù vào nhật ký 2 bản ghi mà phiên bản trước chưa ghi" in seal_legacy()
    assert data_verify() is None
    User.objects.create_superuser(username="ke-gian", password="Mat-khau-2021")
    with pytest.raises(CommandError, match="ghi bù vào nhật ký một lần rồi"):
        seal_legacy()
    found("Người dùng «ke-gian»")


def test_seal_legacy_vouches_for_no_other_change_of_an_account(older):
    Profile.objects.filter(user__username="to-vth").update(role=Role.ADMIN)
    with pytest.raises(CommandError, match="Không ghi bù: Người dùng «to-vth»: vai trò"):
        seal_legacy()
    found("Người dùng «to-vth»: vai trò")
    Profile.objects.filter(user__username="to-vth").update(role=Role.TEAM)
    found("Người dùng «goc-cu»")


def test_seal_legacy_with_nothing_to_record_says_so(accounts):
    with pytest.raises(CommandError, match="không có gì cần xác thực bù"):
        seal_legacy()


def test_sealing_a_database_from_before_the_key_records_an_account_gone_as_gone(accounts):
    User.objects.filter(username="pc06").delete()
    ChangeSet.objects.update(mac="")
    assert "bản ghi mà phiên bản trước chưa ghi đủ" in seal_legacy()
    assert data_verify() is None
