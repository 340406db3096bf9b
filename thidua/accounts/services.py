"""Writes on accounts; each is an act of the history (users and roles are data that counts).

Users are never deleted (the history names them): they are deactivated. Passwords never reach the history:
it records that a password was reset or changed, never the password.
"""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils.crypto import get_random_string

from thidua.audit.chain import changeset_seal
from thidua.audit.models import REASON_MAX, ChangeSet, Source
from thidua.audit.services import changeset_open, record_change, record_changes

from . import locks
from .importing import NAME_MAX, USERNAME, UsersImportReport, plan_users_import, text_error
from .models import CAMPAIGN_WIDE_ROLES, LoginFailure, Profile, Role
from .scopes import lockout_error

# Letters and digits that cannot be mistaken for one another when read aloud or copied from paper.
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

REASON_REQUIRED = "Đổi vai trò hoặc đơn vị cần ghi lý do."
IMPORT_REASON_REQUIRED = "tệp đổi vai trò hoặc đơn vị của người dùng đã có: cần ghi lý do"
PLAN_CHANGED = "Dữ liệu người dùng đã thay đổi từ lúc xem trước: không nhập gì. Hãy xem trước lại."
BAD_USERNAME = "Tên đăng nhập không hợp lệ: chỉ gồm chữ không dấu, chữ số và các dấu . @ + - _ (tối đa 150 ký tự)."
NAME_TAKEN = "Tên đăng nhập «{username}» đã có: hãy chọn tên khác."
# Longest texts the history keeps of an act (reasons: REASON_MAX, the product's one limit).
ACTOR_MAX = ChangeSet._meta.get_field("actor").max_length
FILE_NAME_MAX = ChangeSet._meta.get_field("file_name").max_length


class AccountError(ValueError):
    pass


def one_time_password() -> str:
    """Return a random password to be given once and changed at first login: 3 groups of 4 (about 69 bits)."""
    return "-".join(get_random_string(4, PASSWORD_ALPHABET) for _ in range(3))


def _text_problem(*, actor: str, reason: str = "", file_name: str = "") -> str | None:
    """Return what is wrong with the texts an act records (who, why, which file), or None."""
    for label, value, limit in (("Người thực hiện", actor, ACTOR_MAX), ("Lý do", reason, REASON_MAX),
                                ("Tên tệp", file_name, FILE_NAME_MAX)):
        error = text_error(value, limit)
        if error:
            return f"{label} {error}."
    return None


def _check_texts(*, actor: str, reason: str = "", full_name: str = "") -> None:
    """Refuse, before any query, texts that the database cannot store (NUL on PostgreSQL, over-long values)."""
    error = _text_problem(actor=actor, reason=reason)
    name_error = text_error(full_name, NAME_MAX)
    if error or name_error:
        raise AccountError(error or f"Họ tên {name_error}.")


def _check_role_unit(role: str, unit) -> None:
    if role not in Role.values:
        raise AccountError(f"Vai trò «{role}» không có.")
    if unit is None and role not in CAMPAIGN_WIDE_ROLES and role != Role.VIEWER:
        raise AccountError(f"Vai trò «{Role(role).label}» phải gắn với một đơn vị.")


def _state(user) -> dict:
    """Return what the history records of a user: role, unit code, full name, active."""
    profile = getattr(user, "profile", None)
    unit = profile.unit if profile is not None else None
    return {"role": profile.role if profile is not None else None, "unit": unit.code if unit else None,
            "full_name": user.first_name, "active": user.is_active}


def _diff(before: dict, after: dict) -> tuple[dict, dict]:
    keys = [k for k in after if after[k] != before.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def _guard_self(user, actor: str, role: str | None, active: bool | None) -> None:
    """Refuse the changes by which an administrator would lock themselves out."""
    error = lockout_error(user, actor, role=role, active=active)
    if error:
        raise AccountError(error)


def _campaign_of(user):
    profile = getattr(user, "profile", None)
    return profile.unit.campaign if profile is not None and profile.unit else None


def _new_user(*, username: str, password: str, **fields):
    """Create a user, or raise AccountError when the name is taken (by a writer that committed just now too)."""
    if get_user_model().objects.filter(username=username).exists():
        raise AccountError(NAME_TAKEN.format(username=username))
    try:
        with transaction.atomic():
            return get_user_model().objects.create_user(username=username, password=password, **fields)
    except IntegrityError:  # created meanwhile by a writer that takes no lock (the administration site)
        raise AccountError(NAME_TAKEN.format(username=username)) from None


@transaction.atomic
def user_create(*, username: str, password: str, role: str, unit=None, full_name: str = "", actor: str,
                source: str = "cli", reason: str = "", must_change_password: bool = False) -> object:
    """Create a user with a role bound to a unit (PC06, council and admin may be bound to none: the whole campaign).

    With `must_change_password` the password is a one-time one: the user changes it at first login.
    """
    if not USERNAME.match(username):
        raise AccountError(BAD_USERNAME)
    _check_texts(actor=actor, reason=reason, full_name=full_name)
    _check_role_unit(role, unit)
    locks.hold(locks.USERS)
    user = _new_user(username=username, password=password, first_name=full_name)
    Profile.objects.create(user=user, role=role, unit=unit, must_change_password=must_change_password)
    changeset = changeset_open(campaign=unit.campaign if unit else None, actor=actor, source=source, reason=reason)
    after = {"role": role, "unit": unit.code if unit else None, "full_name": full_name}
    if must_change_password:
        after["password"] = "one_time"
    record_change(changeset, "user", username, None, after)
    changeset_seal(changeset)
    return user


@transaction.atomic
def superuser_record(*, user, actor: str) -> None:
    """Record a superuser that Django's `createsuperuser` has just created (it writes no act) as its creation."""
    changeset = changeset_open(campaign=None, actor=actor, source=Source.CLI, reason="createsuperuser")
    record_change(changeset, "user", user.get_username(), None, {
        "role": None, "unit": None, "full_name": user.first_name, "active": user.is_active,
        "superuser": user.is_superuser, "staff": user.is_staff})
    changeset_seal(changeset)


def _apply(user, *, full_name: str | None, role: str | None, unit, active: bool | None) -> None:
    """Write the new values on the user and its profile (None: keep; `unit` is always written when role is)."""
    fields = []
    if full_name is not None and full_name != user.first_name:
        user.first_name = full_name
        fields.append("first_name")
    if active is not None and active != user.is_active:
        user.is_active = active
        fields.append("is_active")
    if fields:
        user.save(update_fields=fields)
    if role is None:
        return
    profile = getattr(user, "profile", None)
    if profile is None:
        user.profile = Profile.objects.create(user=user, role=role, unit=unit)
    elif (profile.role, profile.unit_id) != (role, unit.id if unit else None):
        profile.role, profile.unit = role, unit
        profile.save(update_fields=["role", "unit"])


@transaction.atomic
def user_update(*, user, full_name: str, role: str, unit, actor: str, reason: str = "", active: bool | None = None,
                source: str = Source.WEB) -> bool:
    """Change a user's full name, role, unit (and, when given, whether the account is active) as one act.

    A change of role or unit needs a reason; an administrator cannot deactivate themselves or drop their own admin
    role. Return whether anything changed (nothing changed: no act is recorded).
    """
    _check_texts(actor=actor, reason=reason, full_name=full_name)
    _check_role_unit(role, unit)
    _guard_self(user, actor, role, active)
    before = _state(user)
    wanted = {"role": role, "unit": unit.code if unit else None, "full_name": full_name,
              "active": user.is_active if active is None else active}
    old, new = _diff(before, wanted)
    if not new:
        return False
    if ("role" in new or "unit" in new) and not reason.strip():
        raise AccountError(REASON_REQUIRED)
    campaign = unit.campaign if unit else _campaign_of(user)
    _apply(user, full_name=full_name, role=role, unit=unit, active=active)
    changeset = changeset_open(campaign=campaign, actor=actor, source=source, reason=reason.strip())
    record_change(changeset, "user", user.get_username(), old, new)
    changeset_seal(changeset)
    return True


@transaction.atomic
def user_set_active(*, user, active: bool, actor: str, reason: str = "", source: str = Source.WEB) -> bool:
    """Deactivate or reactivate a user (never delete: the history refers to them); return whether it changed."""
    _check_texts(actor=actor, reason=reason)
    _guard_self(user, actor, None, active)
    if user.is_active == active:
        return False
    _apply(user, full_name=None, role=None, unit=None, active=active)
    changeset = changeset_open(campaign=_campaign_of(user), actor=actor, source=source, reason=reason.strip())
    record_change(changeset, "user", user.get_username(), {"active": not active}, {"active": active})
    changeset_seal(changeset)
    return True


def _password_act(user, *, actor: str, source: str, reason: str, after: dict) -> None:
    profile = getattr(user, "profile", None)
    before = {"must_change_password": profile.must_change_password if profile is not None else False}
    changeset = changeset_open(campaign=_campaign_of(user), actor=actor, source=source, reason=reason.strip())
    record_change(changeset, "user", user.get_username(), before, after)
    changeset_seal(changeset)


@transaction.atomic
def user_password_reset(*, user, actor: str, reason: str = "", source: str = Source.WEB) -> str:
    """Give the user a new random one-time password, to be changed at the next login; return it (only here).

    The history records that the password was reset, never the password. Earlier failed logins are forgotten,
    so that a user locked out by them can log in with the new password at once.
    """
    _check_texts(actor=actor, reason=reason)
    password = one_time_password()
    _password_act(user, actor=actor, source=source, reason=reason,
                  after={"password": "reset", "must_change_password": True})
    user.set_password(password)
    user.save(update_fields=["password"])
    Profile.objects.filter(user=user).update(must_change_password=True)
    LoginFailure.objects.filter(username=user.get_username()).delete()
    return password


@transaction.atomic
def user_password_change(*, user, password: str, actor: str, source: str = Source.WEB) -> None:
    """Set the password a user chose (already validated) and end the one-time password, if any."""
    _password_act(user, actor=actor, source=source, reason="",
                  after={"password": "changed", "must_change_password": False})
    user.set_password(password)
    user.save(update_fields=["password"])
    Profile.objects.filter(user=user).update(must_change_password=False)


@transaction.atomic
def users_import(*, campaign, data: bytes, actor: str, file_name: str = "", reason: str = "", manager=None,
                 dry_run: bool = False, expected_fingerprint: str | None = None,
                 source: str = Source.IMPORT) -> UsersImportReport:
    """Create and update the users of a CSV file (see importing.py for the columns); all or nothing.

    Every bad row is named in the report and nothing changes. New users get a one-time password, returned once in
    the report (never stored in clear); existing users change only where the file differs, each difference
    recorded. A file that changes nothing records nothing. `manager` (a scopes.UserAdmin) limits the file to the
    users that administrator may manage; `dry_run` plans without writing (the preview); `expected_fingerprint`
    refuses to apply anything but the plan that was previewed. Imports that write are planned one at a time: the
    second of two sent at once plans on what the first wrote.
    """
    if not dry_run:
        locks.hold(locks.USERS)
    report = plan_users_import(campaign=campaign, data=data, file_name=file_name, actor=actor, manager=manager)
    problem = _text_problem(actor=actor, reason=reason, file_name=file_name)
    if problem:
        report.fail(None, None, problem)
    if report.errors:
        return report
    if expected_fingerprint is not None and expected_fingerprint != report.fingerprint:
        report.fail(None, None, PLAN_CHANGED)
        return report
    if dry_run or not (report.creates or report.updates):
        return report
    if report.needs_reason and not reason.strip():
        report.fail(None, None, IMPORT_REASON_REQUIRED)
        return report
    try:
        with transaction.atomic():
            _users_import_apply(report, campaign=campaign, actor=actor, file_name=file_name, reason=reason,
                                source=source)
    except AccountError:  # a name of the plan taken meanwhile by a writer outside its lock: nothing is kept
        report.passwords.clear()
        report.fail(None, None, PLAN_CHANGED)
    return report


def _users_import_apply(report: UsersImportReport, *, campaign, actor: str, file_name: str, reason: str,
                        source: str) -> None:
    """Write the planned creations and updates as one act; the new users' one-time passwords go to the report."""
    changeset = changeset_open(campaign=campaign, actor=actor, source=source, reason=reason.strip(),
                               file_name=file_name, file_sha256=report.sha256)
    changes = []
    for row in report.creates:
        password = one_time_password()
        user = _new_user(username=row.username, password=password, first_name=row.full_name, is_active=row.active)
        Profile.objects.create(user=user, role=row.role, unit=row.unit, must_change_password=True)
        report.passwords.append((row.username, row.full_name, password))
        changes.append(("user", row.username, None, {**row.after, "password": "one_time"}))
    for row in report.updates:
        _apply(row.user, full_name=row.full_name, role=row.role, unit=row.unit, active=row.active)
        changes.append(("user", row.username, row.before, row.after))
    record_changes(changeset, changes)
    changeset.summary = {"created": len(report.creates), "updated": len(report.updates),
                         "unchanged": len(report.unchanged)}
    changeset.save(update_fields=["summary"])
    changeset_seal(changeset)
    report.changeset_id = changeset.id

