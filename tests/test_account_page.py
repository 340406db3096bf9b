"""A user's own account page: API keys created (the secret shown once) and revoked, audited, from the site."""

import pytest
from django.urls import reverse

from thidua.accounts.models import Role
from thidua.accounts.services import user_create
from thidua.api.models import ApiToken
from thidua.audit.models import Change

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(login, django_user_model):
    login(Role.TEAM, "TO-VTH-1")
    return django_user_model.objects.get(username="u-to-TO-VTH-1")


def test_a_key_is_shown_once_and_then_works_on_the_api(clerk, client, campaign):
    page = client.post(reverse("account"), {"action": "create", "name": "Bảng tính của tổ"})
    secret = page.context["secret"]
    assert secret in page.content.decode() and page["Cache-Control"].startswith("max-age=0")
    assert secret not in client.get(reverse("account")).content.decode()
    api = client.get(f"/api/v1/campaigns/{campaign.code}/units", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 200
    assert Change.objects.filter(entity="api_token", changeset__actor="u-to-TO-VTH-1", changeset__source="web").exists()


def test_a_revoked_key_is_refused(clerk, client, campaign):
    secret = client.post(reverse("account"), {"action": "create", "name": "Tạm"}).context["secret"]
    prefix = ApiToken.objects.get(user=clerk).prefix
    assert client.post(reverse("account"), {"action": "revoke", "prefix": prefix}).status_code == 302
    api = client.get(f"/api/v1/campaigns/{campaign.code}/units", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 401


def test_a_user_cannot_revoke_anothers_key(clerk, client, campaign):
    other = user_create(username="nguoi-khac", password="Mat-khau-2021", role=Role.PC06, actor="kiem-thu")
    from thidua.api.services import token_create

    token, _ = token_create(user=other, name="Của người khác", actor="kiem-thu")
    response = client.post(reverse("account"), {"action": "revoke", "prefix": token.prefix})
    assert response.status_code == 400 and ApiToken.objects.get(pk=token.pk).active


def test_a_key_needs_a_name(clerk, client):
    response = client.post(reverse("account"), {"action": "create", "name": "  "})
    assert response.status_code == 400 and not ApiToken.objects.filter(user=clerk).exists()
