"""Login protection: failures are counted per user name and per address; too many within the window lock out."""

import datetime as dt
import math

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.utils import timezone

from .models import LoginFailure

# One office may share an address: an address is locked only after many more failures than a user name.
ADDRESS_FACTOR = 4
LOCKED_MESSAGE = ("Đăng nhập sai quá nhiều lần: tài khoản tạm khóa, thử lại sau {minutes} phút. "
                  "Quên mật khẩu? Liên hệ quản trị hệ thống.")


def client_address(request) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


def lock_minutes_left(username: str, ip: str | None, now: dt.datetime | None = None) -> int:
    """Return how many minutes a login for this user name from this address stays refused (0: not locked)."""
    now = now or timezone.now()
    window = dt.timedelta(minutes=settings.THIDUA_LOGIN_LOCK_MINUTES)
    recent = LoginFailure.objects.filter(at__gte=now - window)
    limit = settings.THIDUA_LOGIN_MAX_FAILURES
    by_name = list(recent.filter(username=username).order_by("-at").values_list("at", flat=True)[:limit])
    by_address = (list(recent.filter(ip=ip).order_by("-at").values_list("at", flat=True)[:limit * ADDRESS_FACTOR])
                  if ip else [])
    oldest = []
    if len(by_name) >= limit:
        oldest.append(by_name[-1])
    if len(by_address) >= limit * ADDRESS_FACTOR:
        oldest.append(by_address[-1])
    if not oldest:
        return 0
    until = max(oldest) + window
    return max(1, math.ceil((until - now).total_seconds() / 60))


@receiver(user_login_failed)
def _record_failure(sender, credentials, request=None, **kwargs):
    LoginFailure.objects.create(username=(credentials.get("username") or "")[:150], ip=client_address(request))


@receiver(user_logged_in)
def _forget_failures(sender, request, user, **kwargs):
    LoginFailure.objects.filter(username=user.get_username()).delete()


class _Throttled:
    """Refuse every attempt while the user name or the address is locked out, before checking the password."""

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        minutes = lock_minutes_left(username, client_address(self.request))
        if minutes:
            raise forms.ValidationError(LOCKED_MESSAGE.format(minutes=minutes), code="locked")
        return super().clean()


class ThrottledAuthenticationForm(_Throttled, AuthenticationForm):
    """The site's login form."""


class ThrottledAdminAuthenticationForm(_Throttled, AdminAuthenticationForm):
    """The administration site's login form (staff only), under the same protection."""
