"""Login protection: a user name locked after repeated failures, on the site and on the administration site; an
address slowed down, never locked, and told apart behind a proxy; security headers; a clean `check --deploy` under
production settings."""

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.signals import user_login_failed
from django.urls import reverse
from django.utils import timezone

from thidua.accounts.models import LoginFailure, Role
from thidua.accounts.security import KNOWN_DEVICE_COOKIE, client_address
from thidua.accounts.services import user_create
from thidua.units.models import Unit

pytestmark = pytest.mark.django_db
PASSWORD = "Mat-khau-2021"


@pytest.fixture
def officer(settings, campaign):
    settings.THIDUA_LOGIN_MAX_FAILURES = 3
    unit = Unit.objects.get(code="TO-VTH-1")
    return user_create(username="canbo", password=PASSWORD, role=Role.TEAM, unit=unit, actor="kiem-thu")


def login(client, password, username="canbo", ip="10.0.0.7", url=None, **headers):
    return client.post(url or reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip,
                       **headers)


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


# --- an address is slowed down, never locked -------------------------------------------------------------------

@pytest.fixture
def clock(monkeypatch):
    """Freeze the time the site sees; `clock.advance(seconds)` moves it on."""

    class Clock:
        now = timezone.now()

        def advance(self, seconds: float) -> None:
            self.now += dt.timedelta(seconds=seconds)

    frozen = Clock()
    monkeypatch.setattr(timezone, "now", lambda: frozen.now)
    return frozen


@pytest.fixture
def flood_settings(settings, officer):
    settings.THIDUA_LOGIN_ADDRESS_FAILURES = 5
    settings.THIDUA_LOGIN_MAX_DELAY = 60
    return settings


def flood(client, clock, seconds: int, ip="10.0.0.7", **headers) -> list[int]:
    """Guess one new user name a second for `seconds` seconds; return how many guesses were checked each minute."""
    checked = [0] * (seconds // 60 + 1)
    for second in range(seconds):
        before = LoginFailure.objects.count()
        login(client, "sai", username=f"doan-{second}", ip=ip, **headers)
        checked[second // 60] += LoginFailure.objects.count() - before
        clock.advance(1)
    return checked


def wait_asked(response) -> int | None:
    match = re.search(r"hãy chờ (\d+) giây", response.content.decode())
    return int(match.group(1)) if match else None


def test_a_flood_from_one_address_gets_a_bounded_number_of_tries_a_minute(client, clock, flood_settings):
    checked = flood(client, clock, 5 * 60)
    # The first 5 failures are free, then the wait doubles from 1 s up to 60 s: at most 5 + 6 in the first minute,
    # then one a minute (two where a minute's boundary falls between them).
    assert checked[0] <= 11 and all(n <= 2 for n in checked[1:]) and sum(checked[1:]) <= 6, checked
    assert LoginFailure.objects.filter(ip="10.0.0.7").count() == sum(checked)


def test_a_slowed_down_attempt_says_how_long_to_wait_and_checks_no_password(client, clock, flood_settings,
                                                                              officer):
    flood(client, clock, 60)
    before = LoginFailure.objects.count()
    response = login(client, PASSWORD)
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert 0 < wait_asked(response) <= 60 and LoginFailure.objects.count() == before


def test_a_colleague_on_the_same_address_gets_in_within_the_cap(client, clock, flood_settings, officer):
    flood(client, clock, 3 * 60)
    wait = wait_asked(login(client, PASSWORD))
    assert wait is not None and wait <= 60
    clock.advance(wait)
    assert login(client, PASSWORD).status_code == 302


def test_another_address_is_not_slowed_down(client, clock, flood_settings, officer):
    flood(client, clock, 60)
    assert login(client, PASSWORD, ip="10.0.0.8").status_code == 302


def sign_out(client):
    """Sign out as a browser does (the test client's logout() would also forget every cookie)."""
    assert client.post(reverse("logout")).status_code == 302


def test_a_browser_that_signed_in_before_is_not_slowed_down_for_that_name(client, clock, flood_settings, officer):
    assert login(client, PASSWORD).status_code == 302
    sign_out(client)
    flood(client, clock, 60)
    assert login(client, PASSWORD).status_code == 302  # same browser, same name: no wait
    sign_out(client)
    assert wait_asked(login(client, "sai", username="nguoi-khac")) is not None  # another name waits


def test_a_forged_known_browser_cookie_is_ignored(client, clock, flood_settings, officer):
    flood(client, clock, 60)
    client.cookies[KNOWN_DEVICE_COOKIE] = "canbo"
    assert wait_asked(login(client, PASSWORD)) is not None


def test_a_known_browser_does_not_escape_the_lock_of_its_user_name(client, officer):
    assert login(client, PASSWORD).status_code == 302
    sign_out(client)
    for _ in range(3):
        login(client, "sai")
    assert "Đăng nhập sai quá nhiều lần" in login(client, PASSWORD).content.decode()


# --- the client's address, behind a reverse proxy or not --------------------------------------------------------

def test_behind_a_proxy_two_clients_are_told_apart(client, clock, flood_settings, officer):
    flood_settings.THIDUA_BEHIND_PROXY = True
    flood(client, clock, 60, ip="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert set(LoginFailure.objects.values_list("ip", flat=True)) == {"203.0.113.5"}
    slowed = login(client, PASSWORD, ip="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert wait_asked(slowed) is not None
    assert login(client, PASSWORD, ip="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.6").status_code == 302


def test_without_a_proxy_a_forwarded_header_is_ignored(client, clock, flood_settings, officer):
    for second in range(60):
        login(client, "sai", username=f"doan-{second}", HTTP_X_FORWARDED_FOR=f"198.51.100.{second}")
        clock.advance(1)
    assert set(LoginFailure.objects.values_list("ip", flat=True)) == {"10.0.0.7"}
    assert wait_asked(login(client, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.200")) is not None


@pytest.mark.parametrize(("hops", "header", "seen"), [
    (1, "6.6.6.6, 203.0.113.5", "203.0.113.5"),  # the client wrote the first address; the proxy appended the last
    (2, "6.6.6.6, 203.0.113.5, 10.0.0.2", "203.0.113.5"),
    (1, "2001:db8::1", "2001:db8::1"),
])
def test_behind_a_proxy_the_address_is_the_one_the_trusted_proxy_appended(hops, header, seen, rf, settings):
    settings.THIDUA_BEHIND_PROXY, settings.THIDUA_PROXY_HOPS = True, hops
    assert client_address(rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=header)) == seen


@pytest.mark.parametrize("header", ["", "nonsense", "999.1.1.1", "1.2.3.4\x00", "fe80::1%eth0", "," * 10_000,
                                    "1.2.3.4:8080", "a" * 100_000])
def test_a_malformed_forwarded_header_falls_back_to_the_proxys_address(header, client, settings, officer):
    settings.THIDUA_BEHIND_PROXY, settings.THIDUA_PROXY_HOPS = True, 2
    response = login(client, "sai", ip="127.0.0.1", HTTP_X_FORWARDED_FOR=header)
    assert response.status_code == 200
    assert list(LoginFailure.objects.values_list("ip", flat=True)) == ["127.0.0.1"]


def test_a_failure_with_a_control_character_in_the_name_is_recorded(rf):
    user_login_failed.send(sender=__name__, credentials={"username": "a\x00b\x01c" + "x" * 300},
                           request=rf.post("/", REMOTE_ADDR="10.0.0.9"))
    failure = LoginFailure.objects.get()
    assert failure.username.startswith("a\ufffdb\ufffdc") and len(failure.username) == 150


def test_the_administration_login_is_protected_too(client, officer):
    officer.is_staff = True
    officer.save()
    url = reverse("admin:login")
    for _ in range(3):
        login(client, "sai", url=url)
    assert "Đăng nhập sai quá nhiều lần" in login(client, PASSWORD, url=url).content.decode()


def test_a_right_password_refused_by_the_administration_site_is_not_counted_as_a_failure(client, officer):
    response = login(client, PASSWORD, url=reverse("admin:login"))  # not staff: refused, but the password was right
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert not LoginFailure.objects.exists()


def test_an_attempt_without_a_password_is_not_counted(client, officer):
    for _ in range(5):
        assert login(client, "").status_code == 200
    assert not LoginFailure.objects.exists() and login(client, PASSWORD).status_code == 302


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


def test_check_deploy_is_clean_under_the_production_env_example(tmp_path):
    """deploy/thidua.env.example as an office fills it: only the secret (left blank there) is added."""
    example = Path(__file__).resolve().parents[1] / "deploy" / "thidua.env.example"
    values = dict(line.split("=", 1) for line in example.read_text().splitlines()
                  if line.strip() and not line.startswith("#"))
    assert values["SECRET_KEY"] == "" and values["THIDUA_REQUIRE_SECRET_KEY"] == "true"
    env = {**os.environ, **values, "SECRET_KEY": "k" * 20 + "-Xq9!vB7#mR2$tL5^wZ8&nP4*cF6@hJ3",
           "THIDUA_DATA_DIR": str(tmp_path / "data"), "THIDUA_AUDIT_KEY_FILE": str(tmp_path / "audit-key"),
           "THIDUA_AUDIT_JOURNAL": str(tmp_path / "anchors.log"), "STATIC_ROOT": str(tmp_path / "static")}
    done = subprocess.run([sys.executable, "-m", "thidua", "check", "--deploy", "--fail-level", "WARNING"], env=env,
                          capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1], timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
