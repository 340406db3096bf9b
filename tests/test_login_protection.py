"""Login protection: lock-out after repeated failures, on the site and on the administration site; security headers;
a clean `check --deploy` under production settings."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from thidua.accounts.models import LoginFailure, Role
from thidua.accounts.services import user_create
from thidua.units.models import Unit

pytestmark = pytest.mark.django_db
PASSWORD = "Mat-khau-2021"


@pytest.fixture
def officer(settings, campaign):
    settings.THIDUA_LOGIN_MAX_FAILURES = 3
    unit = Unit.objects.get(code="TO-VTH-1")
    return user_create(username="canbo", password=PASSWORD, role=Role.TEAM, unit=unit, actor="kiem-thu")


def login(client, password, username="canbo", ip="10.0.0.7", url=None):
    return client.post(url or reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_a_right_password_logs_in(client, officer):
    assert login(client, PASSWORD).status_code == 302


def test_repeated_failures_lock_the_user_name_even_with_the_right_password(client, officer):
    for _ in range(3):
        assert login(client, "sai").status_code == 200
    response = login(client, PASSWORD)
    assert response.status_code == 200
    assert "Đăng nhập sai quá nhiều lần" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_lock_ends_with_its_window(client, officer, settings):
    for _ in range(3):
        login(client, "sai")
    LoginFailure.objects.update(at=LoginFailure.objects.first().at.replace(year=2020))
    assert login(client, PASSWORD).status_code == 302


def test_a_success_forgets_earlier_failures(client, officer):
    login(client, "sai")
    login(client, "sai")
    assert login(client, PASSWORD).status_code == 302
    assert not LoginFailure.objects.filter(username="canbo").exists()


def test_one_address_guessing_many_names_is_locked(client, officer):
    for i in range(12):  # 4 × the per-name limit
        login(client, "sai", username=f"ten-{i}")
    assert "Đăng nhập sai quá nhiều lần" in login(client, PASSWORD).content.decode()
    assert login(client, PASSWORD, ip="10.0.0.8").status_code == 302


def test_the_administration_login_is_protected_too(client, officer):
    officer.is_staff = True
    officer.save()
    url = reverse("admin:login")
    for _ in range(3):
        login(client, "sai", url=url)
    assert "Đăng nhập sai quá nhiều lần" in login(client, PASSWORD, url=url).content.decode()


def test_pages_carry_the_security_headers(client):
    response = client.get(reverse("login"))
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.cookies["csrftoken"]["httponly"]


def test_check_deploy_is_clean_under_production_settings(tmp_path):
    env = dict(os.environ, THIDUA_HTTPS="true", SECRET_KEY="k" * 20 + "-Xq9!vB7#mR2$tL5^wZ8&nP4*cF6@hJ3",
               ALLOWED_HOSTS="thidua.congan.example", DATABASE_URL=f"sqlite:///{tmp_path / 'p.sqlite3'}")
    done = subprocess.run([sys.executable, "-m", "thidua", "check", "--deploy", "--fail-level", "WARNING"], env=env,
                          capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1], timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
