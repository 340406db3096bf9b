"""Reads of the user management pages, each with a fixed number of queries whatever the number of users."""

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.utils import timezone

from thidua.audit.labels import Line, Where, change_lines, named
from thidua.audit.models import Change

from .models import LoginFailure
from .scopes import UserAdmin

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


def describe_updates(rows, campaign) -> list[tuple[object, list[Line]]]:
    """Return each planned update of a users import with the fields it changes, labelled and read (one table with
    the history's pages: audit/labels.py); a fixed number of queries."""
    where = Where.of_campaign(campaign)
    return named(lambda names: [(r, change_lines("user", r.before, r.after, names, where)) for r in rows])


def user_history(username: str):
    """Return the changes recorded about one user, newest first, each with its act and the act's campaign."""
    return (Change.objects.filter(entity="user", key=username).select_related("changeset__campaign")
            .order_by("-changeset__at", "-id"))


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


def person(username: str) -> str:
    """Return a user as `Full Name (username)`, as the history names people; the user name alone when the user has no
    full name or is not an account; «—» for none (one query: for the few people a page or message names)."""
    if not username:
        return "—"
    user = get_user_model().objects.filter(username=username).first()
    name = user.get_full_name() if user else ""
    return f"{name} ({username})" if name else username
