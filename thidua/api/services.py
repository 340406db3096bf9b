"""Writes of the API: users' tokens (each an audited act), and intake rows of many team-days in one request."""

import datetime as dt
import hashlib
import secrets
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from thidua.accounts.importing import text_error
from thidua.accounts.scopes import Scope
from thidua.audit.chain import changeset_seal
from thidua.audit.models import REASON_MAX, Source
from thidua.audit.services import changeset_open, record_change
from thidua.intake.rules import IntakeRules
from thidua.intake.services import ReportError, report_save
from thidua.units.models import Unit

from .models import ApiToken, IdempotentRequest

SECRET_TAG = "thd"
NAME_MAX = ApiToken._meta.get_field("name").max_length
PREFIX_MAX = ApiToken._meta.get_field("prefix").max_length
# A token's last use is written at most this often: reads should not each cost a write.
LAST_USED_EVERY = dt.timedelta(minutes=1)


class TokenError(ValueError):
    pass


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _campaign_of(user):
    profile = getattr(user, "profile", None)
    return profile.unit.campaign if profile is not None and profile.unit_id is not None else None


@transaction.atomic
def token_create(*, user, name: str, actor: str, source: str = Source.CLI) -> tuple[ApiToken, str]:
    """Create a token for a user; return it and its secret, which is stored nowhere and cannot be shown again."""
    name = name.strip()
    if not name:
        raise TokenError("Mã truy cập cần một tên (để nhận ra nó về sau).")
    error = text_error(name, NAME_MAX)
    if error:
        raise TokenError(f"Tên của mã truy cập {error}.")
    prefix = secrets.token_hex(4)
    while ApiToken.objects.filter(prefix=prefix).exists():
        prefix = secrets.token_hex(4)
    secret = f"{SECRET_TAG}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(user=user, name=name, prefix=prefix, secret_hash=_hash(secret))
    changeset = changeset_open(campaign=_campaign_of(user), actor=actor, source=source)
    # The secret's hash is recorded (it cannot give the secret back): a hash replaced in the database is found.
    record_change(changeset, "api_token", prefix, None, {"user": user.get_username(), "name": name,
                                                         "secret_sha256": token.secret_hash})
    changeset_seal(changeset)
    return token, secret


@transaction.atomic
def token_revoke(*, user, prefix: str, actor: str, reason: str = "", source: str = Source.CLI) -> ApiToken:
    """Revoke one of a user's tokens: from now on it is refused."""
    error = text_error(reason, REASON_MAX)
    if error:
        raise TokenError(f"Lý do {error}.")
    prefix = prefix.strip()
    error = text_error(prefix, PREFIX_MAX)
    if error:
        raise TokenError(f"Tiền tố của mã truy cập {error}.")
    token = ApiToken.objects.select_for_update().filter(user=user, prefix=prefix).first()
    if token is None:
        raise TokenError(f"Tài khoản {user.get_username()} không có mã truy cập «{prefix}».")
    if token.revoked_at is not None:
        raise TokenError(f"Mã truy cập «{prefix}» đã bị thu hồi ngày {timezone.localtime(token.revoked_at):%d/%m/%Y}.")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    changeset = changeset_open(campaign=_campaign_of(user), actor=actor, source=source, reason=reason.strip())
    record_change(changeset, "api_token", token.prefix, {"revoked": False}, {"revoked": True})
    changeset_seal(changeset)
    return token


def token_authenticate(secret: str, *, now: dt.datetime | None = None):
    """Return the active user a secret belongs to, or None (unknown or revoked token, inactive user)."""
    token = (ApiToken.objects.select_related("user").filter(secret_hash=_hash(secret), revoked_at__isnull=True)
             .first())
    if token is None or not token.user.is_active:
        return None
    now = now or timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@dataclass
class IntakeResult:
    added: int = 0
    changed: int = 0
    unchanged: int = 0


class IntakeRefused(Exception):
    """Rows that cannot be written: `errors` lists (row index, column or None, message); `forbidden` says that some
    row lies outside the user's scope."""

    def __init__(self, errors: list[tuple[int | None, str | None, str]], forbidden: bool):
        super().__init__("; ".join(m for _, _, m in errors))
        self.errors, self.forbidden = errors, forbidden


def _team_days(campaign, scope: Scope, rows) -> tuple[dict, list, bool]:
    """Group the rows by the team holding the machine that day; name the rows that belong to no team in scope."""
    rules = IntakeRules.current(campaign)
    groups: dict[tuple[int, dt.date], list[int]] = defaultdict(list)
    errors, forbidden, first = [], False, {}
    for i, row in enumerate(rows):
        key = (row.ngay, row.ma_may, row.ma_xa)
        if key in first:
            errors.append((i, "ma_xa", f"trùng khóa (ngay, ma_may, ma_xa) với dòng {first[key]} trong cùng yêu cầu"))
            continue
        first[key] = i
        machine_id = rules.machines.get(row.ma_may)
        team_id = rules.holder(machine_id, row.ngay) if machine_id is not None else None
        if team_id is None:
            # No team to write for: the rules say what is wrong (unknown machine, date, commune or count).
            _, problems = rules.check(row.ngay, row.ma_may, row.ma_xa, row.so_ho_so)
            errors += [(i, column, message) for column, message in problems]
        elif not scope.sees(team_id):
            errors.append((i, "ma_may", f"máy {row.ma_may} ngày {row.ngay:%d/%m/%Y} không thuộc tổ nào trong phạm vi "
                                        "của bạn"))
            forbidden = True
        else:
            groups[team_id, row.ngay].append(i)
    return groups, errors, forbidden


@transaction.atomic
def intake_write(*, campaign, scope: Scope, rows, actor: str, reason: str = "") -> IntakeResult:
    """Write intake rows of any team-days in scope, all or nothing: each team-day through the daily report's
    service (same rules, corrections need a reason once submitted, verified days locked), in one transaction."""
    groups, errors, forbidden = _team_days(campaign, scope, rows)
    result = IntakeResult()
    teams = Unit.objects.in_bulk({team_id for team_id, _ in groups})
    for (team_id, day), indexes in sorted(groups.items(), key=lambda item: (item[0][1], item[0][0])):
        try:
            saved = report_save(campaign=campaign, team=teams[team_id], day=day, actor=actor, reason=reason,
                                source=Source.API,
                                rows=[(rows[i].ma_may, rows[i].ma_xa, rows[i].so_ho_so) for i in indexes])
        except ReportError as exc:
            # An error of the whole team-day (a verified day, a closed campaign) names each of its rows.
            errors += [(indexes[i], column, message) for i, column, message in exc.errors if i is not None]
            errors += [(n, None, message) for i, _, message in exc.errors if i is None for n in indexes]
            continue
        result.added += saved.added
        result.changed += saved.changed
        result.unchanged += saved.unchanged
    if errors:
        raise IntakeRefused(sorted(errors, key=lambda e: (e[0] is None, e[0] or 0)), forbidden)
    return result


IDEMPOTENCY_DAYS = 7  # how long a key is remembered


class KeyReused(Exception):
    """An Idempotency-Key sent again with another request than the one it was first sent with."""


def idempotent(*, user, key: str | None, request_sha256: str, write: Callable[[], dict]) -> tuple[dict, bool]:
    """Run `write` once per (user, key): return its answer and False, or — the key seen before with the same request
    — the answer it gave then and True, writing nothing. Without a key, just run it.

    The key is recorded in the transaction of the write: two requests with one key at once wait for each other (the
    unique key; on SQLite the write lock) and the second answers as the first did.
    """
    if key is None:
        return write(), False
    now = timezone.now()
    with transaction.atomic():
        IdempotentRequest.objects.filter(user=user, created_at__lt=now - dt.timedelta(days=IDEMPOTENCY_DAYS)).delete()
        try:
            with transaction.atomic():
                record = IdempotentRequest.objects.create(user=user, key=key, request_sha256=request_sha256)
        except IntegrityError:
            record = None
        if record is None:
            seen = IdempotentRequest.objects.get(user=user, key=key)
            if seen.request_sha256 != request_sha256:
                raise KeyReused(f"Khóa Idempotency-Key «{key}» đã được dùng cho một yêu cầu khác (ngày "
                                f"{timezone.localtime(seen.created_at):%d/%m/%Y %H:%M}): mỗi lần ghi mới cần một "
                                "khóa mới.")
            return seen.response, True
        answer = write()
        record.response = answer
        record.save(update_fields=["response"])
        return answer, False
