"""Users and roles are data that counts: creating one is an act of the history."""

import pytest

from thidua.accounts.models import Role
from thidua.accounts.services import AccountError, user_create
from thidua.audit.chain import chain_verify
from thidua.audit.models import Change
from thidua.units.models import Unit

pytestmark = pytest.mark.django_db


def test_creating_a_user_is_recorded_in_the_chain(campaign):
    user_create(username="to1", password="Mat-khau-2021", role=Role.TEAM, actor="pc06", reason="Tổ mới",
                unit=Unit.objects.get(campaign=campaign, code="TO-VTH-1"))
    change = Change.objects.get(entity="user", key="to1")
    assert change.after == {"role": "to", "unit": "TO-VTH-1", "full_name": ""}
    assert change.changeset.actor == "pc06" and change.changeset.reason == "Tổ mới"
    assert chain_verify().ok


def test_a_team_clerk_must_be_bound_to_a_unit(campaign):
    with pytest.raises(AccountError, match="phải gắn với một đơn vị"):
        user_create(username="to2", password="Mat-khau-2021", role=Role.TEAM, actor="pc06")


def test_an_unknown_role_is_refused(campaign):
    with pytest.raises(AccountError, match="không có"):
        user_create(username="x", password="Mat-khau-2021", role="vua", actor="pc06")


def test_the_administration_site_shows_users_but_changes_none(db, client, django_user_model):
    root = django_user_model.objects.create_superuser("goc", password="Mat-khau-2021")
    other = django_user_model.objects.create_user("nguoi-khac", password="Mat-khau-2021")
    client.force_login(root)
    assert client.get("/quan-tri-he-thong/auth/user/").status_code == 200
    url = f"/quan-tri-he-thong/auth/user/{other.pk}/change/"
    assert client.post(url, {"username": "doi-ten", "is_superuser": "on"}).status_code == 403
    assert client.get("/quan-tri-he-thong/auth/user/add/").status_code == 403
    other.refresh_from_db()
    assert other.username == "nguoi-khac" and not other.is_superuser
