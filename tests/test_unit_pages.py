"""A unit's page: progress against its quota, its teams, machines, officers and communes, within scope."""

import pytest
from django.urls import reverse

from thidua.accounts.models import Role

pytestmark = pytest.mark.django_db



def url(campaign, unit, day="2021-03-03"):
    return reverse("unit_detail", args=[campaign.code, unit]) + f"?ngay={day}"


def test_a_team_page_shows_its_machines_quota_and_communes(login, campaign):
    page = login(Role.TEAM, "TO-VTH-1").get(url(campaign, "TO-VTH-1"))
    assert page.status_code == 200
    data = page.context["page"]
    assert data.standing.intake == 185  # 85 + 40 + 60 on 1–2 March (base dataset)
    assert [p.assignment.machine for p in data.standing.quota_parts] == ["M-VTH-01"]
    communes = {r.commune.code: (r.eligible, r.applications) for r in data.communes}
    assert communes == {"31318": (6200, 145), "31321": (4800, 40)}
    assert [m.officer.code for m in data.officers] == ["CB-001"]


def test_a_district_page_lists_its_teams_and_sums_its_communes(login, campaign):
    page = login(Role.DISTRICT, "CAH-NBA").get(url(campaign, "CAH-NBA"))
    data = page.context["page"]
    assert [t.code for t, _ in data.teams] == ["TO-NBA-1"]
    assert data.standing.intake == 105 and data.teams[0][1].intake == 105
    assert {r.commune.code: r.applications for r in data.communes}["31341"] == 30
    assert reverse("unit_detail", args=[campaign.code, "TO-NBA-1"]) in page.content.decode()


@pytest.mark.parametrize("role, unit, other", [(Role.TEAM, "TO-VTH-1", "TO-NBA-1"),
                                               (Role.DISTRICT, "CAH-VTH", "CAH-NBA"),
                                               (Role.DISTRICT, "CAH-VTH", "PC06")])
def test_another_units_page_is_not_found(login, campaign, role, unit, other):
    assert login(role, unit).get(url(campaign, other)).status_code == 404


def test_the_campaign_page_links_each_unit(login, campaign):
    body = login(Role.PC06, "PC06").get(reverse("campaign_detail", args=[campaign.code])).content.decode()
    assert reverse("unit_detail", args=[campaign.code, "TO-NBA-1"]) in body


def test_the_unit_page_has_a_bounded_number_of_queries(login, campaign, django_assert_max_num_queries):
    client = login(Role.PC06, "PC06")
    with django_assert_max_num_queries(21):
        assert client.get(url(campaign, "PC06")).status_code == 200
