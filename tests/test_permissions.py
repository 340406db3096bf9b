"""Who sees what: every role × the pages that exist × their own unit and another's. The matrix grows with the
pages; a page missing here is a page nobody checked."""

import pytest
from django.urls import reverse

from thidua.accounts.models import Role
from thidua.accounts.scopes import scope_of
from thidua.accounts.services import user_create
from thidua.units.models import Unit

pytestmark = pytest.mark.django_db

# (role, the unit the user is bound to): units of the base dataset (conftest).
PERSONAS = {
    "quan_tri": (Role.ADMIN, "PC06"),
    "pc06": (Role.PC06, "PC06"),
    "hoi_dong": (Role.COUNCIL, None),
    "huyen_vth": (Role.DISTRICT, "CAH-VTH"),
    "to_vth": (Role.TEAM, "TO-VTH-1"),
    "xem": (Role.VIEWER, "PC06"),
}
# What each persona must see on the campaign page, and what it must not.
SEES = {
    "quan_tri": ({"TO-VTH-1", "TO-NBA-1", "CAH-NBA"}, set()),
    "pc06": ({"TO-VTH-1", "TO-NBA-1", "CAH-NBA"}, set()),
    "hoi_dong": ({"TO-VTH-1", "TO-NBA-1"}, set()),
    "huyen_vth": ({"CAH-VTH", "TO-VTH-1"}, {"CAH-NBA", "TO-NBA-1", "PC06"}),
    "to_vth": ({"TO-VTH-1"}, {"CAH-VTH", "TO-NBA-1", "CAH-NBA", "PC06"}),
    "xem": ({"TO-VTH-1", "TO-NBA-1"}, set()),
}


@pytest.fixture
def as_persona(campaign, client):
    def login(name):
        role, unit = PERSONAS[name]
        user = user_create(username=name, password="Mat-khau-2021", role=role, actor="kiem-thu",
                           unit=Unit.objects.get(campaign=campaign, code=unit) if unit else None)
        client.force_login(user)
        return user
    return login


@pytest.mark.parametrize("name", PERSONAS)
def test_campaign_page_shows_only_the_personas_units(name, as_persona, campaign, client):
    as_persona(name)
    body = client.get(reverse("campaign_detail", args=[campaign.code])).content.decode()
    visible, hidden = SEES[name]
    for code in visible:
        assert f'<span class="code">{code}</span>' in body, code
    for code in hidden:
        assert f'<span class="code">{code}</span>' not in body, code


@pytest.mark.parametrize("name", PERSONAS)
def test_home_lists_the_campaign_for_every_role(name, as_persona, campaign, client):
    as_persona(name)
    assert campaign.name in client.get(reverse("home")).content.decode()


@pytest.mark.parametrize("name", PERSONAS)
def test_a_campaign_of_another_province_is_not_found(name, as_persona, campaign, client):
    from thidua.campaigns.models import Campaign

    other = Campaign.objects.create(code="tinh-khac", name="Đợt khác", province_code="92", start=campaign.start,
                                    deadline=campaign.deadline, settings=campaign.settings)
    as_persona(name)
    status = client.get(reverse("campaign_detail", args=[other.code])).status_code
    # Campaign-wide roles bound to no unit see every campaign; everyone bound to a unit of this one sees only it.
    expected = 200 if PERSONAS[name][1] is None else 404
    assert status == expected


def test_scopes_of_the_roles(as_persona, campaign):
    vth = Unit.objects.get(campaign=campaign, code="TO-VTH-1").id
    nba = Unit.objects.get(campaign=campaign, code="TO-NBA-1").id
    team, district, pc06 = (scope_of(as_persona(n), campaign) for n in ("to_vth", "huyen_vth", "pc06"))
    assert team.sees(vth) and not team.sees(nba) and team.writes
    assert district.sees(vth) and not district.sees(nba)
    assert pc06.whole_campaign
    assert not scope_of(as_persona("xem"), campaign).writes
    assert not scope_of(as_persona("hoi_dong"), campaign).writes


def test_a_user_without_a_role_sees_nothing(campaign, client, django_user_model):
    client.force_login(django_user_model.objects.create_user(username="khach", password="x"))
    assert campaign.name not in client.get(reverse("home")).content.decode()
    assert client.get(reverse("campaign_detail", args=[campaign.code])).status_code == 404


@pytest.mark.parametrize("name", PERSONAS)
def test_every_role_of_the_campaign_sees_its_ranking(name, as_persona, campaign, client):
    as_persona(name)
    assert client.get(reverse("standings", args=[campaign.code])).status_code == 200


@pytest.mark.parametrize("name", PERSONAS)
def test_explanations_follow_the_scope(name, as_persona, campaign, client):
    as_persona(name)
    visible, hidden = SEES[name]
    for code in visible & {"TO-VTH-1", "TO-NBA-1", "CAH-NBA", "CAH-VTH"}:
        assert client.get(reverse("standing_detail", args=[campaign.code, code])).status_code == 200, code
    for code in hidden & {"TO-NBA-1", "CAH-NBA", "CAH-VTH"}:
        assert client.get(reverse("standing_detail", args=[campaign.code, code])).status_code == 404, code
