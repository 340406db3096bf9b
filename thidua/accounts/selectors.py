"""Reads of the user management pages, each with a fixed number of queries whatever the number of users."""

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.utils import timezone

from thidua.audit.models import Change

from .models import LoginFailure, Role
from .scopes import UserAdmin

FIELD_LABELS = {"role": "Vai trò", "unit": "Đơn vị", "full_name": "Họ tên", "active": "Hoạt động",
                "password": "Mật khẩu", "must_change_password": "Phải đổi mật khẩu", "superuser": "Superuser",
                "staff": "Vào trang quản trị hệ thống", "unit_campaign": "Đợt thi đua của đơn vị"}
YES_NO_FIELDS = ("active", "must_change_password", "superuser", "staff")
PASSWORD_EVENTS = {"one_time": "cấp mật khẩu dùng một lần", "reset": "đặt lại (mật khẩu dùng một lần)",
                   "changed": "người dùng tự đổi"}
NO_UNIT = "khong"


def users_managed(admin: UserAdmin, *, q: str = "", role: str = "", unit: str = "", active: str = ""):
    """Return the users an administrator manages, filtered (unit: an id or NO_UNIT; active: "co"/"khong")."""
    users = admin.users(get_user_model().objects.select_related("profile__unit")).order_by("username")
    if q:
        users = users.filter(Q(username__icontains=q) | Q(first_name__icontains=q) | Q(last_name__icontains=q))
    if role:
        users = users.filter(profile__role=role)
    if unit == NO_UNIT:
        users = users.filter(Q(profile__isnull=True) | Q(profile__unit__isnull=True))
    elif unit:
        users = users.filter(profile__unit_id=unit)
    if active in ("co", "khong"):
        users = users.filter(is_active=active == "co")
    return users


def _shown(field: str, value) -> str:
    if value is None:
        return "—"
    if field == "role":
        return Role(value).label if value in Role.values else str(value)
    if field in YES_NO_FIELDS:
        return "Có" if value else "Không"
    if field == "password":
        return PASSWORD_EVENTS.get(value, str(value))
    return str(value) if value != "" else "—"


def describe_change(before: dict | None, after: dict | None) -> list[tuple[str, str | None, str]]:
    """Return (field label, before, after) in Vietnamese for each field a recorded change of a user changed.

    `before` is None where the field had no recorded value (a creation, a password event); a field recorded with
    the same value on both sides (e.g. a second reset) is left out.
    """
    before, after = before or {}, after or {}
    fields = [k for k in after if k not in before or before[k] != after[k]] + [k for k in before if k not in after]
    return [(FIELD_LABELS.get(f, f), _shown(f, before[f]) if f in before else None, _shown(f, after.get(f)))
            for f in fields]


def user_history(username: str) -> list[dict]:
    """Return the acts about one user, newest first: when, who, from where, why, and each field before/after."""
    changes = (Change.objects.filter(entity="user", key=username).select_related("changeset")
               .order_by("-changeset__at", "-id"))
    return [{"changeset": c.changeset, "created": c.before is None, "fields": describe_change(c.before, c.after)}
            for c in changes]


def users_summary(admin: UserAdmin, now=None) -> dict:
    """Return what a Quản trị watches: users active and not, one-time passwords not yet changed, and the user
    names locked out now by failed logins — of the users they manage, and, for those who manage every campaign,
    the guessed names of no account. Three queries."""
    now = now or timezone.now()
    counts = admin.users(get_user_model().objects.all()).aggregate(
        active=Count("id", filter=Q(is_active=True)), inactive=Count("id", filter=Q(is_active=False)),
        one_time=Count("id", filter=Q(is_active=True, profile__must_change_password=True)))
    window = now - dt.timedelta(minutes=settings.THIDUA_LOGIN_LOCK_MINUTES)
    locked = list(LoginFailure.objects.filter(at__gte=window).values("username").annotate(n=Count("id"))
                  .filter(n__gte=settings.THIDUA_LOGIN_MAX_FAILURES).order_by("username")
                  .values_list("username", flat=True))
    accounts = list(get_user_model().objects.filter(username__in=locked).select_related("profile__unit"))
    # An administrator bound to a unit learns nothing of accounts beyond their campaign, nor of guessing at them.
    shown = {u.username for u in accounts if admin.manages(u)}
    if admin.manages_unbound:
        shown |= set(locked) - {u.username for u in accounts}
    return {**counts, "locked": [name for name in locked if name in shown]}
