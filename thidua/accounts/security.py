"""Login protection: failures are counted per user name and per client address.

- A user name that failed THIDUA_LOGIN_MAX_FAILURES times within THIDUA_LOGIN_LOCK_MINUTES is refused for the rest
  of that window, whatever the password.
- An address is slowed down, never locked (an office shares one): past THIDUA_LOGIN_ADDRESS_FAILURES failures within
  the window, an attempt from it is refused, without checking the password, until a delay has passed since its last
  failure — one second, doubling with each further failure, THIDUA_LOGIN_MAX_DELAY seconds at most. A guesser there
  gets about one try a minute; a colleague waits at most that long. A browser that has signed in as a name before
  (a signed cookie) is not slowed down for that name, so a guesser holding the address cannot keep its users out.
- The address is REMOTE_ADDR; behind the reverse proxy (THIDUA_BEHIND_PROXY) it is the one the nearest trusted proxy
  appended to X-Forwarded-For (THIDUA_PROXY_HOPS from the right). A header the proxies did not write is never read.
- An attempt is recorded as a failure before its password is checked, in the same step as the counting (locked per
  user name and per address), and forgotten when the password was right: attempts sent at once are counted one after
  the other, so that they check no more passwords than the limits allow.
"""

import datetime as dt
import ipaddress
import math

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max
from django.dispatch import receiver
from django.utils import timezone

from .importing import control_character
from .locks import PREFIX, hold
from .models import LoginFailure

LOCKED_MESSAGE = ("Đăng nhập sai quá nhiều lần: tài khoản tạm khóa, thử lại sau {minutes} phút. "
                  "Quên mật khẩu? Liên hệ quản trị hệ thống.")
SLOWED_MESSAGE = ("Có quá nhiều lần đăng nhập sai từ địa chỉ mạng này: hãy chờ {seconds} giây rồi đăng nhập lại. "
                  "Chưa kiểm tra mật khẩu lần này.")
USERNAME_MAX = 150  # LoginFailure.username
KNOWN_DEVICE_COOKIE = "thidua_thiet_bi"
KNOWN_DEVICE_SALT = "thidua.accounts.known_device"
KNOWN_DEVICE_DAYS = 180
# Set on a request whose login form recorded its attempt already (the failure signal then records nothing more).
ATTEMPT_RECORDED = "thidua_login_attempt"


class LoginRefused(Exception):
    """A login refused before its password is checked; the message says why and until when."""


def _address(text: str) -> str | None:
    """Return a valid IP address written as the database stores it, or None (never raise: headers are hostile)."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    # A scoped IPv6 address (fe80::1%eth0) is local to one machine, and PostgreSQL's inet type refuses it.
    return None if getattr(address, "scope_id", None) else str(address)


def client_address(request) -> str | None:
    """Return the client's address, or None when no valid one is known."""
    if request is None:
        return None
    if settings.THIDUA_BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if len(forwarded) >= settings.THIDUA_PROXY_HOPS:
            address = _address(forwarded[-settings.THIDUA_PROXY_HOPS])
            if address:
                return address
    return _address(request.META.get("REMOTE_ADDR") or "")


def _stored_name(username: str) -> str:
    """Return a user name as a failure records it: control characters replaced (PostgreSQL refuses NUL), cut."""
    if control_character(username):
        username = "".join("\ufffd" if control_character(c) else c for c in username)
    return username[:USERNAME_MAX]


def login_refusal(username: str, ip: str | None, *, known_device: bool = False,
                  now: dt.datetime | None = None) -> str | None:
    """Return why a login for this user name from this address is refused now, before its password is checked
    (None: it is not)."""
    now = now or timezone.now()
    window = dt.timedelta(minutes=settings.THIDUA_LOGIN_LOCK_MINUTES)
    recent = LoginFailure.objects.filter(at__gte=now - window)
    limit = settings.THIDUA_LOGIN_MAX_FAILURES
    by_name = list(recent.filter(username=_stored_name(username)).order_by("-at")
                   .values_list("at", flat=True)[:limit])
    if len(by_name) >= limit:
        minutes = math.ceil((by_name[-1] + window - now).total_seconds() / 60)
        return LOCKED_MESSAGE.format(minutes=max(1, minutes))
    if ip is None or known_device:
        return None
    seconds = address_wait(ip, now=now)
    return SLOWED_MESSAGE.format(seconds=seconds) if seconds else None


@transaction.atomic
def login_attempt_start(*, username: str, ip: str | None, known_device: bool = False) -> int:
    """Record a login attempt as a failure before its password is checked and return its id, or raise LoginRefused
    (recording nothing) when the user name is locked or the address slowed down.

    The counting and the record are one step for the user name and for the address (both locked until it is
    written): each attempt counts every one before it, failed or still being checked.
    """
    name = _stored_name(username)
    hold(f"{PREFIX}login-name:{name}", *([f"{PREFIX}login-address:{ip}"] if ip else []))
    refusal = login_refusal(username, ip, known_device=known_device)
    if refusal:
        raise LoginRefused(refusal)
    return LoginFailure.objects.create(username=name, ip=ip).id


def address_wait(ip: str, *, now: dt.datetime | None = None) -> int:
    """Return how many seconds an attempt from this address must still wait (0: none)."""
    now = now or timezone.now()
    window = dt.timedelta(minutes=settings.THIDUA_LOGIN_LOCK_MINUTES)
    failures = LoginFailure.objects.filter(at__gte=now - window, ip=ip).aggregate(n=Count("id"), last=Max("at"))
    beyond = failures["n"] - settings.THIDUA_LOGIN_ADDRESS_FAILURES
    if beyond < 0:
        return 0
    cap = settings.THIDUA_LOGIN_MAX_DELAY
    delay = min(cap, 2 ** min(beyond, cap.bit_length()))
    return max(0, math.ceil((failures["last"] + dt.timedelta(seconds=delay) - now).total_seconds()))


def _known_device(request, username: str) -> bool:
    known = request.get_signed_cookie(KNOWN_DEVICE_COOKIE, default=None, salt=KNOWN_DEVICE_SALT,
                                      max_age=dt.timedelta(days=KNOWN_DEVICE_DAYS)) if request is not None else None
    return known is not None and known == username


@receiver(user_login_failed)
def _record_failure(sender, credentials, request=None, **kwargs):
    if getattr(request, ATTEMPT_RECORDED, False):
        return
    LoginFailure.objects.create(username=_stored_name(credentials.get("username") or ""),
                                ip=client_address(request))


@receiver(user_logged_in)
def _forget_failures(sender, request, user, **kwargs):
    LoginFailure.objects.filter(username=user.get_username()).delete()


class _Throttled:
    """Refuse an attempt while its user name is locked or its address slowed down, before checking the password."""

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        ip, known_device = client_address(self.request), _known_device(self.request, username)
        if not (username and self.cleaned_data.get("password")):  # no password will be checked: nothing to count
            refusal = login_refusal(username, ip, known_device=known_device)
            if refusal:
                raise forms.ValidationError(refusal, code="locked")
            return super().clean()
        try:
            attempt = login_attempt_start(username=username, ip=ip, known_device=known_device)
        except LoginRefused as refused:
            raise forms.ValidationError(str(refused), code="locked") from None
        if self.request is not None:
            setattr(self.request, ATTEMPT_RECORDED, True)
        try:
            return super().clean()
        finally:
            if self.user_cache is not None:
                # The password was right, even if this account may not sign in here: no guess to count.
                LoginFailure.objects.filter(pk=attempt).delete()


class ThrottledAuthenticationForm(_Throttled, AuthenticationForm):
    """The site's login form."""


class ThrottledAdminAuthenticationForm(_Throttled, AdminAuthenticationForm):
    """The administration site's login form (staff only), under the same protection."""


class PasswordMaxLengthValidator:
    """Refuse a new password longer than anyone types: its length only costs hashing time."""

    max_length = 128

    def validate(self, password, user=None):
        if len(password) > self.max_length:
            raise ValidationError(f"Mật khẩu quá dài: tối đa {self.max_length} ký tự.", code="password_too_long")

    def get_help_text(self):
        return f"Mật khẩu dài tối đa {self.max_length} ký tự."


class LoginView(auth_views.LoginView):
    """The site's login page; a successful login marks the browser as known for that user name."""

    authentication_form = ThrottledAuthenticationForm

    def form_valid(self, form):
        response = super().form_valid(form)
        response.set_signed_cookie(KNOWN_DEVICE_COOKIE, form.get_user().get_username(), salt=KNOWN_DEVICE_SALT,
                                   max_age=int(dt.timedelta(days=KNOWN_DEVICE_DAYS).total_seconds()),
                                   secure=settings.SESSION_COOKIE_SECURE, httponly=True, samesite="Lax")
        return response
