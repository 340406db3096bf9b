import pytest
from django.urls import reverse
from django.contrib.auth import get_user_model
from django.contrib.auth import authenticate
from thidua.accounts.models import Role, LoginFailure
from thidua.accounts.services import user_create
from thidua.units.models import Unit

pytestmark = pytest.mark.django_db

@pytest.mark.parametrize("u,p", [("a\x00b", "x"), ("a"*200, "x"), ("ab", "x\x00y"), ("ab", "x"*5000), ("a\x01b", "x")])
def test_login(campaign, client, u, p):
    r = client.post(reverse("login"), {"username": u, "password": p})
    print(r.status_code, [str(e) for e in r.context["form"].errors.values()] if r.context else None)

def test_signal(campaign, rf):
    req = rf.post("/")
    req.META["REMOTE_ADDR"] = "1.2.3.4"
    print(authenticate(req, username="a\x00b", password="x"))
    print(LoginFailure.objects.values_list("username", flat=True))

def test_pwchange(campaign, client):
    u = user_create(username="t", password="Mat-khau-2021", role=Role.VIEWER, actor="t")
    client.force_login(u)
    for new in ["Ab\x00cdefgh12", "Ab" + "x" * 5000]:
        r = client.post(reverse("password_change"), {"old_password": "Mat-khau-2021", "new_password1": new, "new_password2": new})
        print(r.status_code, [str(e) for e in r.context["form"].errors.values()] if r.context else None)
