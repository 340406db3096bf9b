"""The campaign pages: login required, the unit tree shown, a bounded number of queries."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from thidua.accounts.models import Role
from thidua.accounts.services import user_create
from thidua.units.models import Unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def pc06(campaign, client):
    user = user_create(username="pc06", password="x-Pass-2021", role=Role.PC06, actor="kiem-thu",
                       unit=Unit.objects.get(campaign=campaign, code="PC06"))
    client.force_login(user)
    return client


def test_pages_need_a_login(client, campaign):
    for url in (reverse("home"), reverse("campaign_detail", args=[campaign.code])):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_login_page_is_in_vietnamese(client):
    assert "Đăng nhập" in client.get(reverse("login")).content.decode()


def test_home_lists_the_campaign(pc06, campaign):
    body = pc06.get(reverse("home")).content.decode()
    assert campaign.name in body and "25/02/2021 – 01/07/2021" in body


def test_campaign_page_lists_units_with_their_intake(pc06, campaign):
    body = pc06.get(reverse("campaign_detail", args=[campaign.code])).content.decode()
    assert "Công an thành phố Vị Thanh" in body and "TO-VTH-1" in body
    assert "Phường I" in body  # the team's area, by name


def test_campaign_page_query_count_does_not_grow_with_units(pc06, campaign, django_assert_max_num_queries):
    url = reverse("campaign_detail", args=[campaign.code])
    # 14, and 2 for what stops PC06's next step (units and machines present to start the campaign).
    with django_assert_max_num_queries(16):
        pc06.get(url)
    parent = Unit.objects.get(campaign=campaign, code="CAH-VTH")
    for i in range(30):
        Unit.objects.create(campaign=campaign, code=f"TO-X-{i}", name=f"Tổ {i}", kind="to", parent=parent)
    with django_assert_max_num_queries(16):
        pc06.get(url)


def test_synthetic_campaign_is_labelled(pc06, campaign):
    campaign.synthetic = True
    campaign.save(update_fields=["synthetic"])
    assert "DỮ LIỆU MÔ PHỎNG" in pc06.get(reverse("campaign_detail", args=[campaign.code])).content.decode()


def test_unknown_campaign_is_not_found(pc06):
    assert pc06.get(reverse("campaign_detail", args=["khong-co"])).status_code == 404


def test_a_stale_form_is_refused_in_vietnamese(login, campaign):
    from django.test import Client

    login(Role.PC06, "PC06")
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.get(username="u-pc06-PC06"))
    response = client.post(reverse("import_upload", args=[campaign.code]), {})
    assert response.status_code == 403
    assert "Trang đã cũ hoặc phiên làm việc đã hết hạn" in response.content.decode()


def test_a_server_error_page_is_in_vietnamese(client, settings):
    from django.test import RequestFactory
    from django.views.defaults import server_error

    body = server_error(RequestFactory().get("/")).content.decode()
    assert "Hệ thống gặp lỗi" in body and "chưa được ghi" in body
