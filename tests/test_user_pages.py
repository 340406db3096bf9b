"""The user management pages: only Quản trị (and superusers) reach them; every act is audited with before, after
and reason; an administrator bound to a unit manages only their campaign; nobody locks themselves out; a one-time
password is changed at first login."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from test_permissions import PERSONAS

from thidua.accounts.models import LoginFailure, Profile, Role
from thidua.accounts.scopes import MUST_BIND, SELF_DEACTIVATE, SELF_DEMOTE
from thidua.accounts.services import REASON_REQUIRED, AccountError, user_create, user_set_active, user_update
from thidua.audit.chain import chain_verify
from thidua.audit.models import Change, ChangeSet
from thidua.campaigns.models import Campaign
from thidua.units.models import Unit

pytestmark = pytest.mark.django_db
PASSWORD = "Mat-khau-2021"
User = get_user_model()


@pytest.fixture
def unit(campaign):
    return lambda code: Unit.objects.get(campaign=campaign, code=code)


@pytest.fixture
def target(unit):
    """The user every page acts on: a clerk of TO-NBA-1."""
    return user_create(username="to_nba", password=PASSWORD, role=Role.TEAM, unit=unit("TO-NBA-1"),
                       full_name="Trần Văn Tổ", actor="kiem-thu")


@pytest.fixture
def other_campaign_user(campaign):
    other = Campaign.objects.create(code="tinh-khac", name="Đợt khác", province_code="92", start=campaign.start,
                                    deadline=campaign.deadline, settings=campaign.settings)
    team = Unit.objects.create(campaign=other, code="TO-KHAC", name="Tổ tỉnh khác", kind="to")
    return user_create(username="to_khac", password=PASSWORD, role=Role.TEAM, unit=team, actor="kiem-thu")


@pytest.fixture
def login(campaign, client, unit):
    """Log the client in as a persona of tests/test_permissions.py, "superuser", or nobody ("anonymous")."""

    def as_persona(name):
        if name == "anonymous":
            return None
        if name == "superuser":
            user = User.objects.create_superuser(username="sieu", password=PASSWORD)
        else:
            role, code = PERSONAS[name]
            user = user_create(username=name, password=PASSWORD, role=role, actor="kiem-thu",
                               unit=unit(code) if code else None)
        client.force_login(user)
        return user

    return as_persona


PAGES = {
    "list": lambda t: reverse("user_list"),
    "create": lambda t: reverse("user_create"),
    "import": lambda t: reverse("users_import"),
    "template": lambda t: reverse("users_template"),
    "edit": lambda t: reverse("user_edit", args=[t.pk]),
    "reset": lambda t: reverse("user_reset_password", args=[t.pk]),
    "history": lambda t: reverse("user_history", args=[t.pk]),
}
EXPECTED = {"quan_tri": 200, "superuser": 200, **{n: 403 for n in PERSONAS if n != "quan_tri"}}


def history():
    return ChangeSet.objects.count(), Change.objects.count()


# --- who reaches which page -------------------------------------------------------------------------------------

@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("persona", [*EXPECTED, "anonymous"])
def test_every_role_reaches_only_what_it_may(persona, page, login, client, target):
    login(persona)
    response = client.get(PAGES[page](target))
    if persona == "anonymous":
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
    else:
        assert response.status_code == EXPECTED[persona]


@pytest.mark.parametrize("page", ["create", "import", "edit", "reset"])
@pytest.mark.parametrize("persona", [n for n, status in EXPECTED.items() if status == 403] + ["anonymous"])
def test_a_role_without_the_right_changes_nothing_by_posting(persona, page, login, client, target):
    login(persona)
    before, stored = history(), list(User.objects.order_by("pk").values_list())
    response = client.post(PAGES[page](target), {"username": "moi", "full_name": "X", "role": "quan_tri",
                                                 "active": "", "reason": "thử"})
    assert response.status_code == (302 if persona == "anonymous" else 403)
    assert history() == before and list(User.objects.order_by("pk").values_list()) == stored


@pytest.mark.parametrize("persona", ["quan_tri", "superuser", "pc06", "xem"])
def test_only_administrators_see_the_users_link_in_the_header(persona, login, client):
    login(persona)
    body = client.get(reverse("home")).content.decode()
    assert (f'href="{reverse("user_list")}"' in body) == (EXPECTED[persona] == 200)


# --- a campaign's administrator stays within it -----------------------------------------------------------------

def test_a_unit_bound_admin_cannot_see_or_touch_a_user_of_another_campaign(login, client, other_campaign_user):
    login("quan_tri")
    assert "to_khac" not in client.get(reverse("user_list")).content.decode()
    before = history()
    for page in ("edit", "reset", "history"):
        assert client.get(PAGES[page](other_campaign_user)).status_code == 404, page
        assert client.post(PAGES[page](other_campaign_user), {"full_name": "Đổi", "role": "xem", "active": "on",
                                                              "reason": "thử"}).status_code == 404, page
    other_campaign_user.refresh_from_db()
    assert other_campaign_user.check_password(PASSWORD) and other_campaign_user.first_name == ""
    assert history() == before


def test_an_admin_bound_to_no_unit_manages_every_campaign(client, campaign, other_campaign_user):
    admin = user_create(username="qt_tinh", password=PASSWORD, role=Role.ADMIN, actor="kiem-thu")
    client.force_login(admin)
    assert "to_khac" in client.get(reverse("user_list")).content.decode()
    assert client.get(PAGES["edit"](other_campaign_user)).status_code == 200


def test_a_unit_bound_admin_binds_new_users_to_a_unit_of_their_campaign(login, client):
    login("quan_tri")
    response = client.post(reverse("user_create"), {"username": "pc06_moi", "full_name": "A", "role": "pc06",
                                                    "unit": ""})
    assert response.status_code == 400 and MUST_BIND in response.content.decode()
    assert not User.objects.filter(username="pc06_moi").exists()


def test_a_unit_of_another_campaign_is_not_offered(login, client, other_campaign_user):
    login("quan_tri")
    foreign = other_campaign_user.profile.unit
    response = client.post(reverse("user_create"), {"username": "moi", "full_name": "A", "role": "to",
                                                    "unit": foreign.pk})
    assert response.status_code == 400 and not User.objects.filter(username="moi").exists()
    assert "TO-KHAC" not in client.get(reverse("user_create")).content.decode()


def test_only_a_superuser_manages_a_superuser(login, client):
    root = User.objects.create_superuser(username="goc", password=PASSWORD)
    login("quan_tri")
    assert "goc" not in client.get(reverse("user_list")).content.decode()
    assert client.get(PAGES["reset"](root)).status_code == 404
    assert client.post(PAGES["reset"](root), {"reason": "chiếm quyền"}).status_code == 404
    root.refresh_from_db()
    assert root.check_password(PASSWORD)


# --- creating, editing, deactivating, resetting -----------------------------------------------------------------

def test_creating_a_user_shows_their_one_time_password_once(login, client, unit):
    login("quan_tri")
    response = client.post(reverse("user_create"), {"username": "to_vth_2", "full_name": "Lê Thị Hoa",
                                                    "role": "to", "unit": unit("TO-VTH-1").pk, "reason": "Tổ mới"})
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    user = User.objects.get(username="to_vth_2")
    password = next(p for p in response.context["rows"] if p[0] == "to_vth_2")[2]
    assert password in response.content.decode() and user.check_password(password)
    assert user.profile.must_change_password and user.profile.unit.code == "TO-VTH-1"
    change = Change.objects.get(entity="user", key="to_vth_2")
    assert change.after == {"role": "to", "unit": "TO-VTH-1", "full_name": "Lê Thị Hoa", "password": "one_time"}
    assert change.changeset.reason == "Tổ mới" and change.changeset.actor == "quan_tri"
    assert password not in json.dumps(list(Change.objects.values_list("before", "after")), ensure_ascii=False)


@pytest.mark.parametrize(("username", "message"), [("quan_tri", "đã có"), ("có dấu", "chữ không dấu")])
def test_a_bad_or_taken_user_name_is_refused(username, message, login, client, unit):
    login("quan_tri")
    before = history()
    response = client.post(reverse("user_create"), {"username": username, "full_name": "A", "role": "xem",
                                                    "unit": unit("PC06").pk})
    assert response.status_code == 400 and message in response.content.decode()
    assert history() == before


def edit(client, user, **changes):
    profile = user.profile
    data = {"full_name": user.first_name, "role": profile.role, "unit": profile.unit_id or "",
            "active": "on" if user.is_active else "", "reason": ""}
    data.update(changes)
    return client.post(reverse("user_edit", args=[user.pk]), data)


def test_a_role_change_needs_a_reason(login, client, target):
    login("quan_tri")
    response = edit(client, target, role="xem")
    assert response.status_code == 400 and REASON_REQUIRED in response.content.decode()
    target.refresh_from_db()
    assert target.profile.role == "to"


def test_a_role_and_unit_change_is_recorded_with_before_after_and_reason(login, client, target, unit):
    login("quan_tri")
    response = edit(client, target, role="cong_an_huyen", unit=unit("CAH-NBA").pk, reason="Điều động về Công an")
    assert response.status_code == 302
    profile = Profile.objects.get(user=target)
    assert (profile.role, profile.unit.code) == ("cong_an_huyen", "CAH-NBA")
    change = Change.objects.filter(entity="user", key="to_nba").latest("id")
    assert change.before == {"role": "to", "unit": "TO-NBA-1"}
    assert change.after == {"role": "cong_an_huyen", "unit": "CAH-NBA"}
    assert change.changeset.reason == "Điều động về Công an" and change.changeset.actor == "quan_tri"
    assert chain_verify().ok


def test_a_name_change_needs_no_reason_and_records_only_the_name(login, client, target):
    login("quan_tri")
    assert edit(client, target, full_name="Trần Văn Tổ Trưởng").status_code == 302
    change = Change.objects.filter(entity="user", key="to_nba").latest("id")
    assert (change.before, change.after) == ({"full_name": "Trần Văn Tổ"}, {"full_name": "Trần Văn Tổ Trưởng"})


def test_saving_without_a_change_records_nothing(login, client, target):
    login("quan_tri")
    before = history()
    assert edit(client, target).status_code == 302
    assert history() == before


def test_a_deactivated_user_cannot_log_in_until_reactivated(login, client, target):
    login("quan_tri")
    assert edit(client, target, active="").status_code == 302
    target.refresh_from_db()
    assert not target.is_active
    change = Change.objects.filter(entity="user", key="to_nba").latest("id")
    assert (change.before, change.after) == ({"active": True}, {"active": False})
    assert User.objects.filter(username="to_nba").exists()  # never deleted: the history refers to it
    client.logout()
    assert client.post(reverse("login"), {"username": "to_nba", "password": PASSWORD}).status_code == 200
    user_set_active(user=target, active=True, actor="quan_tri", reason="Trở lại")
    assert client.post(reverse("login"), {"username": "to_nba", "password": PASSWORD}).status_code == 302


@pytest.mark.parametrize(("changes", "message"), [({"active": ""}, SELF_DEACTIVATE),
                                                  ({"role": "pc06", "reason": "thử"}, SELF_DEMOTE)])
def test_an_admin_cannot_lock_themselves_out(changes, message, login, client):
    me = login("quan_tri")
    before = history()
    response = edit(client, me, **changes)
    assert response.status_code == 400 and message in response.content.decode()
    me.refresh_from_db()
    assert me.is_active and me.profile.role == Role.ADMIN and history() == before


def test_the_services_refuse_a_self_lockout_too(login):
    me = login("quan_tri")
    with pytest.raises(AccountError, match=SELF_DEACTIVATE):
        user_set_active(user=me, active=False, actor="quan_tri")
    with pytest.raises(AccountError, match=SELF_DEMOTE):
        user_update(user=me, full_name="", role=Role.PC06, unit=me.profile.unit, actor="quan_tri", reason="x")


def test_a_password_reset_gives_a_one_time_password_and_records_only_that_it_happened(login, client, target):
    login("quan_tri")
    LoginFailure.objects.create(username="to_nba", ip="10.0.0.1")
    assert client.get(PAGES["reset"](target)).status_code == 200
    response = client.post(PAGES["reset"](target), {"reason": "Quên mật khẩu"})
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    password = response.context["rows"][0][2]
    target.refresh_from_db()
    assert target.check_password(password) and not target.check_password(PASSWORD)
    assert Profile.objects.get(user=target).must_change_password
    assert not LoginFailure.objects.filter(username="to_nba").exists()
    change = Change.objects.filter(entity="user", key="to_nba").latest("id")
    assert change.after == {"password": "reset", "must_change_password": True}
    assert change.changeset.reason == "Quên mật khẩu"
    assert password not in json.dumps(list(Change.objects.values_list("before", "after")), ensure_ascii=False)


def test_the_history_page_lists_the_acts_about_the_user(login, client, target, unit):
    login("quan_tri")
    edit(client, target, role="xem", unit=unit("PC06").pk, reason="Chuyển sang theo dõi")
    body = client.get(PAGES["history"](target)).content.decode()
    assert "Chuyển sang theo dõi" in body and "quan_tri" in body
    assert '<span class="before">Tổ</span> → <span class="after">Xem</span>' in body
    assert "Tạo mới" in body  # the creation, older, is listed too
    assert body.index("Chuyển sang theo dõi") < body.index("Tạo mới")


# --- the list ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("query", "shown", "hidden"), [
    ({"vai_tro": "to"}, {"to_nba"}, {"quan_tri", "xem_pc06"}),
    ({"q": "văn tổ"}, {"to_nba"}, {"quan_tri", "xem_pc06"}),
    ({"hoat_dong": "khong"}, {"xem_pc06"}, {"to_nba", "quan_tri"}),
    ({"don_vi": "PC06"}, {"quan_tri", "xem_pc06"}, {"to_nba"}),
])
def test_the_list_filters(query, shown, hidden, login, client, target, unit):
    login("quan_tri")
    viewer = user_create(username="xem_pc06", password=PASSWORD, role=Role.VIEWER, unit=unit("PC06"), actor="t")
    user_set_active(user=viewer, active=False, actor="t")
    if "don_vi" in query:
        query = {"don_vi": unit(query["don_vi"]).pk}
    page = client.get(reverse("user_list"), query).content.decode()
    for name in shown:
        assert f">{name}</a>" in page, name
    for name in hidden:
        assert f">{name}</a>" not in page, name


def test_the_list_shows_dates_as_dd_mm_yyyy(login, client):
    me = login("quan_tri")
    me.last_login = me.date_joined.replace(year=2021, month=3, day=5, hour=3)
    me.save(update_fields=["last_login"])
    assert "05/03/2021" in client.get(reverse("user_list")).content.decode()


def test_the_list_is_paginated_and_its_queries_do_not_grow(login, client, unit, django_assert_max_num_queries):
    login("quan_tri")
    with django_assert_max_num_queries(10):
        client.get(reverse("user_list"))
    team = unit("TO-VTH-1")
    for i in range(70):
        user = User.objects.create_user(username=f"to_{i:03}", first_name=f"Cán bộ {i}")
        Profile.objects.create(user=user, role=Role.TEAM, unit=team)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("user_list"))
    body = response.content.decode()
    assert "to_000" in body and "to_069" not in body and "Trang 1/2" in body
    assert "to_069" in client.get(reverse("user_list"), {"trang": 2}).content.decode()


def test_the_template_lists_the_campaigns_users_when_asked(login, client, campaign, target):
    login("quan_tri")
    blank = client.get(reverse("users_template")).content.decode("utf-8-sig")
    assert blank.splitlines() == ["ten_dang_nhap,ho_ten,vai_tro,ma_don_vi,hoat_dong"]
    filled = client.get(reverse("users_template"), {"dot": campaign.code}).content.decode("utf-8-sig")
    assert "to_nba,Trần Văn Tổ,to,TO-NBA-1,co" in filled.splitlines()


# --- one-time passwords are changed at first login -------------------------------------------------------------

def test_a_one_time_password_must_be_changed_before_anything_else(client, unit):
    user_create(username="moi", password="Tam-thoi-2021", role=Role.TEAM, unit=unit("TO-VTH-1"), actor="qt",
                must_change_password=True)
    response = client.post(reverse("login"), {"username": "moi", "password": "Tam-thoi-2021"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("password_change")
    body = response.content.decode()
    assert "Đổi mật khẩu" in body and "mật khẩu dùng một lần" in body
    assert client.get(reverse("home")).url == reverse("password_change")
    response = client.post(reverse("password_change"), {"old_password": "Tam-thoi-2021",
                                                        "new_password1": "Rieng-cua-toi-77",
                                                        "new_password2": "Rieng-cua-toi-77"})
    assert response.status_code == 302
    assert not Profile.objects.get(user__username="moi").must_change_password
    assert client.get(reverse("home")).status_code == 200  # still logged in, free to go
    change = Change.objects.filter(entity="user", key="moi").latest("id")
    assert change.after == {"password": "changed", "must_change_password": False}
    assert "Rieng-cua-toi-77" not in json.dumps(list(Change.objects.values_list("before", "after")))


def test_a_weak_new_password_is_refused_in_vietnamese(client, unit):
    user = user_create(username="moi", password="Tam-thoi-2021", role=Role.TEAM, unit=unit("TO-VTH-1"),
                       actor="qt", must_change_password=True)
    client.force_login(user)
    response = client.post(reverse("password_change"), {"old_password": "Tam-thoi-2021", "new_password1": "123",
                                                        "new_password2": "123"})
    assert response.status_code == 400
    assert "Mật khẩu quá ngắn: cần ít nhất 8 ký tự." in response.content.decode()
    assert Profile.objects.get(user=user).must_change_password


def test_the_one_time_password_cannot_be_kept_as_the_new_one(client, unit):
    user = user_create(username="moi", password="Tam-thoi-2021", role=Role.TEAM, unit=unit("TO-VTH-1"),
                       actor="qt", must_change_password=True)
    client.force_login(user)
    response = client.post(reverse("password_change"), {"old_password": "Tam-thoi-2021",
                                                        "new_password1": "Tam-thoi-2021",
                                                        "new_password2": "Tam-thoi-2021"})
    assert response.status_code == 400
    assert "Mật khẩu mới phải khác mật khẩu hiện tại" in response.content.decode()
    assert Profile.objects.get(user=user).must_change_password
    assert not Change.objects.filter(entity="user", key="moi", after__password="changed").exists()


def test_the_history_shows_a_password_reset_without_noise(login, client, target):
    login("quan_tri")
    client.post(PAGES["reset"](target), {"reason": "Quên"})
    client.post(PAGES["reset"](target), {"reason": "Quên lần nữa"})
    body = client.get(PAGES["history"](target)).content.decode()
    assert body.count('<span class="after">đặt lại (mật khẩu dùng một lần)</span>') == 2
    assert '<span class="before">không</span> → <span class="after">có</span>' in body  # the first reset only
    assert body.count("Phải đổi mật khẩu") == 1
