"""Who manages whom: every user-management action × every kind of actor × every kind of target.

Campaign A is the reference campaign; campaign B another one. An administrator bound to a unit manages only the
users bound to units of their campaign (themselves included); users bound to no unit — a global administrator,
PC06, council, viewer — are managed only by a superuser or an administrator bound to no unit; a superuser only by a
superuser. 404: the user is not yours (the page does not exist for you); 403: your role manages no one; signed
out: to the login page. A refused action changes nothing.
"""

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from thidua.accounts.models import Profile, Role
from thidua.accounts.services import user_create
from thidua.audit.models import ChangeSet
from thidua.campaigns.models import Campaign
from thidua.units.models import Unit

pytestmark = pytest.mark.django_db
User = get_user_model()
PASSWORD = "Mat-khau-2021"
A, B = "hau-giang-2021", "tinh-khac"

# target: (role, unit code, campaign of the unit); superusers are marked by name.
TARGETS = {
    "sieu": (Role.ADMIN, None, None),  # a superuser
    "qt_tinh": (Role.ADMIN, None, None),
    "pc06_tinh": (Role.PC06, None, None),
    "hd_tinh": (Role.COUNCIL, None, None),
    "xem_tinh": (Role.VIEWER, None, None),
    "qt_a": (Role.ADMIN, "PC06", A),
    "pc06_a": (Role.PC06, "PC06", A),
    "hd_a": (Role.COUNCIL, "PC06", A),
    "huyen_a": (Role.DISTRICT, "CAH-VTH", A),
    "to_a": (Role.TEAM, "TO-VTH-1", A),
    "xem_a": (Role.VIEWER, "PC06", A),
    "to_b": (Role.TEAM, "TO-B", B),
}
ACTORS = {
    "tt_sieu": (Role.ADMIN, None, None),  # a superuser
    "tt_qt_tinh": (Role.ADMIN, None, None),
    "tt_qt_a": (Role.ADMIN, "PC06", A),
    "tt_qt_b": (Role.ADMIN, "PC06-B", B),
    "tt_pc06": (Role.PC06, None, None),
    "tt_huyen": (Role.DISTRICT, "CAH-VTH", A),
    "tt_to": (Role.TEAM, "TO-VTH-1", A),
    "tt_hd": (Role.COUNCIL, None, None),
    "tt_xem": (Role.VIEWER, "PC06", A),
}
SUPERUSERS = {"sieu", "tt_sieu"}
SELF = "ban_than"  # the actor themselves

# Whom each administrator manages ("ban_than": themselves); every other role manages no one (403).
MANAGES = {
    "tt_sieu": {*TARGETS, SELF},
    "tt_qt_tinh": {*TARGETS, SELF} - {"sieu"},
    "tt_qt_a": {"qt_a", "pc06_a", "hd_a", "huyen_a", "to_a", "xem_a", SELF},
    "tt_qt_b": {"to_b", SELF},
}

# action: (answer for a user one manages, for one one does not manage, for oneself).
# The users template (?dot=) and the CSV import reach, besides, only users of the chosen campaign or of none.
ACTIONS = {
    "list": ("shown", "hidden", "shown"),
    "edit page": (200, 404, 200),
    "rename": (302, 404, 302),
    "deactivate": (302, 404, 400),
    "change role": (302, 404, 400),
    "change unit": (302, 404, 302),
    "reset page": (200, 404, 200),
    "reset password": (200, 404, 200),
    "history": (200, 404, 200),
    "users template": ("listed", "not listed", "listed"),
    "users import": (302, 400, 302),
}


@pytest.fixture
def world(campaign):
    other = Campaign.objects.create(code=B, name="Đợt khác", province_code="92", start=campaign.start,
                                    deadline=campaign.deadline, settings=campaign.settings)
    Unit.objects.create(campaign=other, code="PC06-B", name="PC06 tỉnh khác", kind="phong")
    Unit.objects.create(campaign=other, code="TO-B", name="Tổ tỉnh khác", kind="to")
    return {name: make_user(name, *TARGETS[name]) for name in TARGETS}


def unit_of(code, campaign_code):
    return Unit.objects.get(campaign__code=campaign_code, code=code) if code else None


def make_user(name, role, code, campaign_code):
    if name in SUPERUSERS:
        user = User.objects.create_superuser(username=name, password=PASSWORD, first_name=f"Họ tên {name}")
        Profile.objects.create(user=user, role=role, unit=unit_of(code, campaign_code))
        return user
    return user_create(username=name, password=PASSWORD, role=role, unit=unit_of(code, campaign_code),
                       full_name=f"Họ tên {name}", actor="kiem-thu")


def state(user):
    user = User.objects.select_related("profile").get(pk=user.pk)
    return (user.first_name, user.is_active, user.password, user.profile.role, user.profile.unit_id)


def edit_data(user, **changes):
    profile = Profile.objects.get(user=user)
    data = {"full_name": user.first_name, "role": profile.role, "unit": profile.unit_id or "",
            "active": "on" if user.is_active else "", "reason": "Kiểm tra quyền"}
    return data | changes


def another_unit(user):
    """Return a unit to move a user to: in their campaign, or in campaign A for a user bound to no unit."""
    unit = Profile.objects.get(user=user).unit
    if unit is not None and unit.campaign.code == B:
        return unit_of("TO-B" if unit.code == "PC06-B" else "PC06-B", B)
    return unit_of("CAH-NBA" if unit is not None and unit.code == "TO-NBA-1" else "TO-NBA-1", A)


def file_campaign(actor):
    return Campaign.objects.get(code=B if actor == "tt_qt_b" else A)


def perform(client, action, target, actor):
    """Do one action on one target; return what came of it (a status, or whether the target is shown)."""
    edit = reverse("user_edit", args=[target.pk])
    profile = Profile.objects.get(user=target)
    if action == "list":
        response = client.get(reverse("user_list"))
        if response.status_code != 200:
            return response
        return "shown" if f">{target.username}</a>" in response.content.decode() else "hidden"
    if action == "users template":
        response = client.get(reverse("users_template"), {"dot": file_campaign(actor).code})
        if response.status_code != 200:
            return response
        lines = response.content.decode("utf-8-sig").splitlines()
        return "listed" if any(line.startswith(f"{target.username},") for line in lines) else "not listed"
    if action == "users import":
        row = f"{target.username},Tên mới,{profile.role},{profile.unit.code if profile.unit else ''},"
        data = f"ten_dang_nhap,ho_ten,vai_tro,ma_don_vi,hoat_dong\r\n{row}\r\n".encode()
        preview = client.post(reverse("users_import"), {
            "campaign": file_campaign(actor).pk, "tep": SimpleUploadedFile("u.csv", data, "text/csv")})
        form = preview.context.get("confirm_form") if preview.status_code == 200 else None
        if form is None:
            return preview
        return client.post(reverse("users_import"), {field.name: field.value() for field in form})
    requests = {
        "edit page": lambda: client.get(edit),
        "rename": lambda: client.post(edit, edit_data(target, full_name="Tên mới")),
        "deactivate": lambda: client.post(edit, edit_data(target, active="")),
        "change role": lambda: client.post(edit, edit_data(
            target, role=Role.COUNCIL if profile.role == Role.VIEWER else Role.VIEWER)),
        "change unit": lambda: client.post(edit, edit_data(target, unit=another_unit(target).pk)),
        "reset page": lambda: client.get(reverse("user_reset_password", args=[target.pk])),
        "reset password": lambda: client.post(reverse("user_reset_password", args=[target.pk]),
                                              {"reason": "Kiểm tra quyền"}),
        "history": lambda: client.get(reverse("user_history", args=[target.pk])),
    }
    return requests[action]()


def expected(action, actor, name, target):
    if actor not in MANAGES:
        return 403
    managed, refused, oneself = ACTIONS[action]
    answer = oneself if name == SELF else managed if name in MANAGES[actor] else refused
    unit = Profile.objects.get(user=target).unit
    if (action in ("users template", "users import") and answer == managed and unit is not None
            and unit.campaign_id != file_campaign(actor).id):
        answer = refused  # a file names the units of one campaign: a user of another is refused there
    return answer


def outcome(result):
    return result if isinstance(result, str) else result.status_code


@pytest.mark.parametrize("actor", [*ACTORS, "anonymous"])
@pytest.mark.parametrize("action", ACTIONS)
def test_who_manages_whom(action, actor, world, client):
    me = make_user(actor, *ACTORS[actor]) if actor != "anonymous" else None
    targets = {**world, **({SELF: me} if me else {})}
    wrong = []
    for name, target in targets.items():
        if me is not None:
            client.force_login(me)  # again for each target: resetting one's own password ends one's session
        before, acts = state(target), ChangeSet.objects.count()
        result = perform(client, action, target, actor)
        if actor == "anonymous":
            if result.status_code != 302 or not result["Location"].startswith(reverse("login")):
                wrong.append((name, result.status_code))
            continue
        want = expected(action, actor, name, target)
        if outcome(result) != want:
            wrong.append((name, outcome(result), want))
        changed = state(target) != before
        if isinstance(want, int) and want >= 400 and (changed or ChangeSet.objects.count() != acts):
            wrong.append((name, "changed although refused"))
        if want in (302, 200) and action in ("rename", "deactivate", "change role", "change unit",
                                             "reset password", "users import") and not changed:
            wrong.append((name, "allowed but unchanged"))
    assert not wrong, wrong


def test_an_administrator_bound_to_a_unit_gets_no_template_of_another_campaign(world, client):
    client.force_login(make_user("tt_qt_b", *ACTORS["tt_qt_b"]))
    assert client.get(reverse("users_template"), {"dot": A}).status_code == 404


def test_an_administrator_bound_to_a_unit_lists_no_user_bound_to_none_whatever_the_filter(world, client):
    client.force_login(make_user("tt_qt_a", *ACTORS["tt_qt_a"]))
    body = client.get(reverse("user_list"), {"don_vi": "khong"}).content.decode()
    assert "Không gắn đơn vị</option>" not in body
    for name, (_role, code, _campaign) in TARGETS.items():
        assert (f">{name}</a>" in body) == (code is not None and name != "to_b"), name
