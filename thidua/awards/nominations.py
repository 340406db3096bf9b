"""Nominations (đề nghị khen thưởng, docs/documents.md): who nominates whom within which quota, the standards
checked from the data, and the flow propose → PC06 reviews → the council approves.

Quotas: each prize winner of a scored group nominates up to its tier's `individuals` officers of its subtree
(district level); PC06 nominates up to the nomination group's `collectives` units and `individuals` officers of the
whole campaign (provincial level). A nomination takes a place 1 … quota by inserting it: the database's partial
unique constraint (`nomination_quota_place`) lets one of two people taking the last place at once have it, never
both, whatever the path (page, API, file). A returned or withdrawn nomination gives its place back.

Every write is an audited act (entity `de_nghi`, before/after status) and every refusal a Vietnamese sentence.
"""

import csv
import datetime as dt
import hashlib
import io
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, connection, transaction

from thidua.accounts.models import Role
from thidua.accounts.scopes import role_of
from thidua.audit.chain import changeset_seal
from thidua.audit.models import Source
from thidua.audit.services import changeset_open, reason_problem, record_change
from thidua.campaigns import clock
from thidua.campaigns.models import Campaign, Status
from thidua.lib import vn
from thidua.units.models import Membership, Officer, Unit
from thidua.units.selectors import subtree_ids

from . import evidence, lifecycle
from .models import ACTIVE_NOMINATION, Nomination, NominationKind, NominationLevel, NominationStatus
from .selectors import latest_snapshot, prizes
from .services import StepError

ENTITY = "de_nghi"
ACHIEVEMENTS_MAX = 4000
OPEN_STATUSES = (Status.SCORED, Status.PUBLISHED)  # nominations are made and decided only then
CSV_MAX_BYTES = 1_000_000
CSV_MAX_ROWS = 500
CSV_COLUMNS = ("ma_don_vi_de_nghi", "ma_can_bo", "ma_don_vi", "thanh_tich")

NOT_OPEN = ("Chỉ đề nghị và xét đề nghị khen thưởng khi kết quả đã chấm hoặc đã công bố (đợt thi đua đang «{status}»).")
NO_RIGHT = "Vai trò của bạn không đề nghị khen thưởng cho đơn vị này."
TEAM_CANNOT = "Tổ không đề nghị khen thưởng: Công an cấp huyện đạt giải đề nghị cán bộ của mình."
OWN_UNIT_ONLY = "Công an huyện chỉ đề nghị khen thưởng cho đơn vị của mình ({unit})."
NO_QUOTA = "Đơn vị «{unit}» không có suất đề nghị khen thưởng {what} (không đạt giải trong kết quả đã chấm)."
WAITING = ("Đơn vị «{unit}» đồng hạng giải, đang chờ Hội đồng TĐKT phân xử: đề nghị được sau khi Hội đồng ghi "
           "quyết định phân xử.")
QUOTA_FULL = ("Đã dùng hết {quota} suất đề nghị {what} của «{unit}»: không đề nghị thêm được. Một đề nghị bị trả "
              "lại hoặc rút sẽ trả lại suất của nó.")
ONCE = "Cán bộ {officer} đã được đề nghị trong đợt thi đua này (mỗi cán bộ chỉ được đề nghị một lần)."
ONCE_UNIT = "Đơn vị «{unit}» đã được đề nghị khen thưởng tập thể trong đợt thi đua này."
NO_OFFICER = "Không có cán bộ «{code}» trong đợt thi đua."
NO_UNIT = "Không có đơn vị «{code}» trong đợt thi đua."
NOT_MEMBER = ("Cán bộ {officer} không thuộc «{unit}» (hoặc đơn vị trực thuộc) ngày nào trong thời gian thi đua "
              "({start} – {end}): không đạt tiêu chuẩn.")
NOT_ISSUING = ("Cán bộ {officer} không trực tiếp làm nhiệm vụ cấp CCCD (truc_tiep_cap_cccd khác «co»): không đạt "
               "tiêu chuẩn.")
NEED_ACHIEVEMENTS = "Cần ghi thành tích (phương pháp làm tốt, được nhân dân khen…)."
ACHIEVEMENTS_TOO_LONG = "Thành tích dài {length} ký tự, quá mức {limit} ký tự: hãy viết ngắn lại."
BAD_CHARACTERS = "{what} có ký tự không hợp lệ."
NEED_REASON = "Cần ghi lý do trả lại."
CHANGED = "Đề nghị này đã được xử lý (đang «{status}»): tải lại trang để xem."
ONLY_PC06 = "Chỉ PC06 thẩm định đề nghị khen thưởng."
ONLY_COUNCIL = "Chỉ Hội đồng TĐKT duyệt đề nghị khen thưởng."
NAME_ONE = "Đề nghị cá nhân ghi mã cán bộ; đề nghị tập thể ghi mã đơn vị được đề nghị, không ghi cả hai."


class NominationError(Exception):
    """A nomination (or a step of one) refused; `problems` lists every reason, in Vietnamese; `forbidden` when the
    caller's role may not do it at all."""

    def __init__(self, problems: list[str] | str, *, forbidden: bool = False):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        self.forbidden = forbidden
        super().__init__(" ".join(self.problems))


@dataclass(frozen=True)
class Actor:
    """Who acts: the user's name, role and own unit (None for a user bound to none); role None is the command line."""

    name: str
    role: str | None
    unit_id: int | None = None


def actor_of(user) -> Actor:
    """Return the acting user as an Actor."""
    profile = getattr(user, "profile", None)
    return Actor(user.get_username(), role_of(user), profile.unit_id if profile is not None else None)


@dataclass(frozen=True)
class Quota:
    """One nominating unit's places of one level and kind."""

    level: str
    kind: str
    unit: Unit
    group: str
    size: int
    tier: int | None = None  # district level: the prize tier
    waiting: bool = False  # district level: a tie the council has not ruled on yet

    @property
    def key(self) -> str:
        return f"{self.level}:{self.kind}:{self.unit.code}"

    @property
    def what(self) -> str:
        kind = "cá nhân" if self.kind == NominationKind.INDIVIDUAL else "tập thể"
        level = "cấp huyện" if self.level == NominationLevel.DISTRICT else "cấp tỉnh"
        return f"{kind} {level}"


def provincial_unit(campaign: Campaign) -> Unit | None:
    """Return the unit PC06 nominates as: the top unit of the nomination group (the provincial department)."""
    group = next((g for g in campaign.config.groups if g.kind == "nomination"), None)
    if group is None:
        return None
    units = Unit.objects.filter(campaign=campaign, group__code=group.code).order_by("parent_id", "code")
    return units.filter(parent__isnull=True).first() or units.first()


def quotas(campaign: Campaign) -> list[Quota]:
    """Return every quota of the campaign as its latest snapshot stands (empty before it is scored): the prize
    winners' (district level, individuals) with the council's rulings, then PC06's (provincial level)."""
    if latest_snapshot(campaign) is None:
        return []  # not scored yet: no quota (PC06's provincial ones do not wait for prize winners)
    found = prizes(campaign)
    scored = {g.code for g in campaign.config.groups if g.kind == "scored"}
    units = {u.code: u for u in Unit.objects.filter(campaign=campaign, code__in=[p.unit for p in found])}
    result = [Quota(NominationLevel.DISTRICT, NominationKind.INDIVIDUAL, units[p.unit], p.group, p.individuals,
                    p.tier, p.needs_decision)
              for p in found if p.group in scored and p.unit in units and p.individuals]
    group = next((g for g in campaign.config.groups if g.kind == "nomination"), None)
    top = provincial_unit(campaign)
    if group is not None and top is not None:
        if group.collectives:
            result.append(Quota(NominationLevel.PROVINCE, NominationKind.COLLECTIVE, top, group.code,
                                group.collectives))
        if group.individuals:
            result.append(Quota(NominationLevel.PROVINCE, NominationKind.INDIVIDUAL, top, group.code,
                                group.individuals))
    return result


def quota_of(campaign: Campaign, level: str, kind: str, unit: Unit) -> Quota | None:
    return next((q for q in quotas(campaign) if (q.level, q.kind, q.unit.id) == (level, kind, unit.id)), None)


def places_used(campaign: Campaign) -> dict[str, int]:
    """Return how many places each quota (by Quota.key) has taken."""
    used: dict[str, int] = {}
    rows = (Nomination.objects.filter(campaign=campaign, place__isnull=False)
            .values_list("level", "kind", "nominating_unit__code"))
    for level, kind, code in rows:
        key = f"{level}:{kind}:{code}"
        used[key] = used.get(key, 0) + 1
    return used


def may_nominate(actor: Actor, quota: Quota) -> str | None:
    """Return why the actor may not nominate within a quota, or None when they may."""
    if actor.role is None:
        return None
    if actor.role == Role.TEAM:
        return TEAM_CANNOT
    if quota.level == NominationLevel.PROVINCE:
        return None if actor.role == Role.PC06 else NO_RIGHT
    if actor.role != Role.DISTRICT:
        return NO_RIGHT
    if actor.unit_id != quota.unit.id:
        own = Unit.objects.filter(pk=actor.unit_id).values_list("code", flat=True).first() or "—"
        return OWN_UNIT_ONLY.format(unit=own)
    return None


# --- standards -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Standards:
    """What the data says of an officer against the plan's standards, for a nominating unit's subtree."""

    officer: Officer
    periods: tuple[tuple[dt.date, dt.date], ...]  # in the subtree during the campaign, merged
    units: tuple[str, ...]  # the units of those memberships
    issues_cards: bool | None
    problems: tuple[str, ...] = field(default=())

    @property
    def days(self) -> int:
        return sum((end - start).days + 1 for start, end in self.periods)

    @property
    def ok(self) -> bool:
        return not self.problems


def _periods(memberships, start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    """Return the memberships' days within [start, end], overlapping and touching periods merged."""
    cut = sorted((max(m.start, start), min(m.end or end, end)) for m in memberships)
    merged: list[list[dt.date]] = []
    for a, b in cut:
        if a > b:
            continue
        if merged and a <= merged[-1][1] + dt.timedelta(days=1):
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]


def standards(campaign: Campaign, unit_ids: set[int] | None, officers=None) -> list[Standards]:
    """Return the standards of the officers who ever belonged to the units (every unit: None), or of the officers
    given, in code order: the days they belonged to them during the campaign, whether they issue cards."""
    memberships = Membership.objects.filter(unit__campaign=campaign).select_related("unit")
    if unit_ids is not None:
        memberships = memberships.filter(unit_id__in=unit_ids)
    if officers is not None:
        memberships = memberships.filter(officer__in=officers)
    by_officer: dict[int, list[Membership]] = {}
    for m in memberships:
        by_officer.setdefault(m.officer_id, []).append(m)
    chosen = Officer.objects.filter(campaign=campaign).order_by("code")
    chosen = chosen.filter(pk__in=[o.pk for o in officers]) if officers is not None else chosen.filter(
        pk__in=by_officer)
    start, end = campaign.start, campaign.deadline
    result = []
    for officer in chosen:
        mine = by_officer.get(officer.pk, [])
        periods = _periods(mine, start, end)
        problems = []
        if not periods:
            problems.append("not_member")
        if officer.issues_cards is not True:
            problems.append("not_issuing")
        result.append(Standards(officer, tuple(periods), tuple(sorted({m.unit.code for m in mine})),
                                officer.issues_cards, tuple(problems)))
    return result


def _subtree(campaign: Campaign, quota: Quota) -> set[int] | None:
    return subtree_ids(campaign, quota.unit.id) if quota.level == NominationLevel.DISTRICT else None


def eligible_officers(campaign: Campaign, quota: Quota) -> list[Standards]:
    """Return the officers of the quota's reach (the unit's subtree; the whole campaign for PC06) with their
    standards, those who meet them first."""
    found = standards(campaign, _subtree(campaign, quota))
    return sorted(found, key=lambda s: (not s.ok, s.officer.code))


def _standard_messages(campaign: Campaign, quota: Quota, s: Standards) -> list[str]:
    name = f"{s.officer.full_name} ({s.officer.code})"
    messages = []
    if "not_member" in s.problems:
        messages.append(NOT_MEMBER.format(officer=name, unit=quota.unit.name, start=f"{campaign.start:%d/%m/%Y}",
                                          end=f"{campaign.deadline:%d/%m/%Y}"))
    if "not_issuing" in s.problems:
        messages.append(NOT_ISSUING.format(officer=name))
    return messages


# --- proposing -----------------------------------------------------------------------------------------------

def _text_problem(text: str, what: str, limit: int) -> str | None:
    if "\x00" in text:
        return BAD_CHARACTERS.format(what=what)
    if len(text) > limit:
        return ACHIEVEMENTS_TOO_LONG.format(length=f"{len(text):,}".replace(",", "."),
                                            limit=f"{limit:,}".replace(",", "."))
    return None


def _hold_open(campaign: Campaign) -> Campaign:
    """Return the campaign as it is now, refusing unless nominations are open; on PostgreSQL its row is held
    (FOR SHARE) until the act commits, so a step of the lifecycle (FOR UPDATE) waits for it and nominations do
    not wait for one another. SQLite's transactions (IMMEDIATE) take turns anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT status FROM {Campaign._meta.db_table} WHERE id = %s FOR SHARE", [campaign.pk])
            status = cursor.fetchone()[0]
    else:
        status = Campaign.objects.filter(pk=campaign.pk).values_list("status", flat=True).get()
    if status not in OPEN_STATUSES:
        raise NominationError(NOT_OPEN.format(status=Status(status).label))
    return campaign


def _snapshot(n: Nomination) -> dict:
    return {"status": n.status, "level": n.level, "kind": n.kind, "nominating_unit": n.nominating_unit.code,
            "group": n.group, "tier": n.tier, "place": n.place,
            "officer": n.officer.code if n.officer_id else None, "unit": n.unit.code if n.unit_id else None,
            "achievements": n.achievements, "review_reason": n.review_reason}


def _insert(fields: dict, quota: Quota) -> Nomination:
    """Insert the nomination at the lowest free place 1 … quota: each try in a savepoint; the database's unique
    constraints decide between two people at once (the second waits for the first, then tries the next place)."""
    for place in range(1, quota.size + 1):
        try:
            with transaction.atomic():
                return Nomination.objects.create(place=place, **fields)
        except IntegrityError:
            _refuse_if_named(fields)  # the officer (or unit) itself was taken meanwhile
    raise NominationError(QUOTA_FULL.format(quota=quota.size, what=quota.what, unit=quota.unit.name))


def _refuse_if_named(fields: dict) -> None:
    active = Nomination.objects.filter(campaign=fields["campaign"], status__in=ACTIVE_NOMINATION)
    officer, unit = fields.get("officer"), fields.get("unit")
    if officer is not None and active.filter(officer=officer).exists():
        raise NominationError(ONCE.format(officer=f"{officer.full_name} ({officer.code})"))
    if unit is not None and active.filter(unit=unit).exists():
        raise NominationError(ONCE_UNIT.format(unit=unit.name))


def _propose(*, campaign: Campaign, actor: Actor, quota: Quota | None, nominating_unit: Unit, level: str,
             kind: str, officer: Officer | None, collective: Unit | None, achievements: str,
             changeset) -> Nomination:
    """Check and insert one nomination inside the caller's act; raise NominationError naming every problem."""
    if actor.role == Role.TEAM:
        raise NominationError(TEAM_CANNOT, forbidden=True)
    if quota is None:
        what = ("cá nhân" if kind == NominationKind.INDIVIDUAL else "tập thể") + (
            " cấp huyện" if level == NominationLevel.DISTRICT else " cấp tỉnh")
        raise NominationError(NO_QUOTA.format(unit=nominating_unit.name, what=what))
    refusal = may_nominate(actor, quota)
    if refusal:
        raise NominationError(refusal, forbidden=True)
    if quota.waiting:
        raise NominationError(WAITING.format(unit=quota.unit.name))
    problems = []
    achievements = (achievements or "").strip()
    if not achievements:
        problems.append(NEED_ACHIEVEMENTS)
    elif problem := _text_problem(achievements, "Thành tích", ACHIEVEMENTS_MAX):
        problems.append(problem)
    if (officer is None) == (collective is None) or (kind == NominationKind.INDIVIDUAL) != (officer is not None):
        problems.append(NAME_ONE)
    elif officer is not None:
        found = standards(campaign, _subtree(campaign, quota), officers=[officer])
        problems.extend(_standard_messages(campaign, quota, found[0]))
        _refuse_if_named({"campaign": campaign, "officer": officer})
    else:
        _refuse_if_named({"campaign": campaign, "unit": collective})
    if problems:
        raise NominationError(problems)
    nomination = _insert({"campaign": campaign, "level": level, "kind": kind, "nominating_unit": nominating_unit,
                          "group": quota.group, "tier": quota.tier, "officer": officer, "unit": collective,
                          "achievements": achievements, "proposed_by": actor.name, "proposed_at": clock.now()},
                         quota)
    record_change(changeset, ENTITY, str(nomination.pk), None, _snapshot(nomination))
    return nomination


def _source(actor: Actor, source: str | None) -> str:
    return source or (Source.WEB if actor.role is not None else Source.CLI)


def nomination_propose(*, campaign: Campaign, actor: Actor, level: str, kind: str, nominating_unit: Unit,
                       officer: Officer | None = None, collective: Unit | None = None, achievements: str,
                       files=(), source: str | None = None) -> Nomination:
    """Propose an officer (or, at the provincial level, a unit) within the nominating unit's quota, with its
    achievements and evidence files; one audited act. Raise NominationError naming every problem."""
    files = list(files)
    if len(files) > settings.THIDUA_EVIDENCE_MAX_FILES:
        raise NominationError(evidence.TOO_MANY.format(limit=settings.THIDUA_EVIDENCE_MAX_FILES))
    for upload in files:
        _type, problems = evidence.check_upload(upload)
        if problems:
            raise NominationError(problems)
    with transaction.atomic():
        _hold_open(campaign)
        quota = quota_of(campaign, level, kind, nominating_unit)
        who = officer.full_name if officer is not None else (collective.name if collective is not None else "")
        changeset = changeset_open(campaign=campaign, actor=actor.name, source=_source(actor, source),
                                   reason=f"Đề nghị khen thưởng {who}"[:200])
        nomination = _propose(campaign=campaign, actor=actor, quota=quota, nominating_unit=nominating_unit,
                              level=level, kind=kind, officer=officer, collective=collective,
                              achievements=achievements, changeset=changeset)
        try:
            for upload in files:
                evidence.store(campaign, upload, actor=actor.name, nomination=nomination, changeset=changeset)
        except StepError as exc:
            raise NominationError(exc.problems) from None
        changeset_seal(changeset)
    return nomination


# --- the flow after proposing --------------------------------------------------------------------------------

def _reason(reason: str, *, required: bool) -> str:
    reason = (reason or "").strip()
    if not reason:
        if required:
            raise NominationError(NEED_REASON)
        return ""
    if "\x00" in reason:
        raise NominationError(BAD_CHARACTERS.format(what="Lý do"))
    problem = reason_problem(reason)
    if problem:
        raise NominationError(problem)
    return reason


def _move(*, nomination: Nomination, actor: Actor, source: str | None, expected: tuple[str, ...], to: str,
          reason: str, changes: dict, act_reason: str) -> Nomination:
    """Move a nomination from one of `expected` to `to` by a status-conditional update, as one audited act."""
    campaign = nomination.campaign
    with transaction.atomic():
        _hold_open(campaign)
        current = Nomination.objects.select_related("nominating_unit", "officer", "unit").get(pk=nomination.pk)
        before = _snapshot(current)
        done = Nomination.objects.filter(pk=nomination.pk, status__in=expected).update(status=to, **changes)
        if not done:
            raise NominationError(CHANGED.format(status=NominationStatus(current.status).label))
        current.refresh_from_db()
        changeset = changeset_open(campaign=campaign, actor=actor.name, source=_source(actor, source),
                                   reason=reason or act_reason)
        record_change(changeset, ENTITY, str(current.pk), before, _snapshot(current))
        changeset_seal(changeset)
    return current


def nomination_review(*, nomination: Nomination, actor: Actor, accept: bool, reason: str = "",
                      source: str | None = None) -> Nomination:
    """PC06's review of a proposed nomination: accept it (it keeps its place), or return it with a reason (its
    place is given back; the unit may propose again)."""
    if actor.role not in (None, Role.PC06):
        raise NominationError(ONLY_PC06, forbidden=True)
    reason = _reason(reason, required=not accept)
    now = clock.now()
    changes = {"reviewed_by": actor.name, "reviewed_at": now, "review_reason": reason}
    if accept:
        return _move(nomination=nomination, actor=actor, source=source, expected=(NominationStatus.PROPOSED,),
                     to=NominationStatus.ACCEPTED, reason=reason, changes=changes, act_reason="PC06 thẩm định đề nghị")
    return _move(nomination=nomination, actor=actor, source=source, expected=(NominationStatus.PROPOSED,),
                 to=NominationStatus.RETURNED, reason=reason, changes={**changes, "place": None}, act_reason="")


def nomination_approve(*, nomination: Nomination, actor: Actor, approve: bool, reason: str = "",
                       source: str | None = None) -> Nomination:
    """The council's decision on a nomination PC06 accepted: approve it (it keeps its place), or return it with a
    reason."""
    if actor.role not in (None, Role.COUNCIL):
        raise NominationError(ONLY_COUNCIL, forbidden=True)
    reason = _reason(reason, required=not approve)
    now = clock.now()
    if approve:
        return _move(nomination=nomination, actor=actor, source=source, expected=(NominationStatus.ACCEPTED,),
                     to=NominationStatus.APPROVED, reason=reason,
                     changes={"approved_by": actor.name, "approved_at": now}, act_reason="Hội đồng TĐKT duyệt đề nghị")
    return _move(nomination=nomination, actor=actor, source=source, expected=(NominationStatus.ACCEPTED,),
                 to=NominationStatus.RETURNED, reason=reason,
                 changes={"reviewed_by": actor.name, "reviewed_at": now, "review_reason": reason, "place": None},
                 act_reason="")


def may_withdraw(actor: Actor, nomination: Nomination) -> bool:
    """Say whether the actor speaks for the nominating side (the district itself; PC06 at the provincial level)."""
    if actor.role is None:
        return True
    if nomination.level == NominationLevel.PROVINCE:
        return actor.role == Role.PC06
    return actor.role == Role.DISTRICT and actor.unit_id == nomination.nominating_unit_id


def nomination_withdraw(*, nomination: Nomination, actor: Actor, reason: str,
                        source: str | None = None) -> Nomination:
    """Withdraw a nomination before the council approves it (the proposer's side); its place is given back."""
    if not may_withdraw(actor, nomination):
        raise NominationError(NO_RIGHT, forbidden=True)
    reason = _reason(reason, required=True)
    return _move(nomination=nomination, actor=actor, source=source,
                 expected=(NominationStatus.PROPOSED, NominationStatus.ACCEPTED), to=NominationStatus.WITHDRAWN,
                 reason=reason, changes={"place": None}, act_reason="")


def nomination_add_evidence(*, nomination: Nomination, actor: Actor, files, source: str | None = None) -> list:
    """Add evidence files to a nomination the council has not approved yet (the nominating side), as one act."""
    if not may_withdraw(actor, nomination):
        raise NominationError(NO_RIGHT, forbidden=True)
    files = list(files)
    if not files:
        raise NominationError(evidence.NO_FILE)
    for upload in files:
        _type, problems = evidence.check_upload(upload)
        if problems:
            raise NominationError(problems)
    with transaction.atomic():
        campaign = _hold_open(nomination.campaign)
        current = Nomination.objects.select_for_update().get(pk=nomination.pk)
        if current.status not in (NominationStatus.PROPOSED, NominationStatus.ACCEPTED):
            raise NominationError(CHANGED.format(status=NominationStatus(current.status).label))
        changeset = changeset_open(campaign=campaign, actor=actor.name, source=_source(actor, source),
                                   reason=f"Thêm tệp minh chứng cho đề nghị số {current.pk}")
        try:
            stored = [evidence.store(campaign, upload, actor=actor.name, nomination=current, changeset=changeset)
                      for upload in files]
        except StepError as exc:
            raise NominationError(exc.problems) from None
        changeset_seal(changeset)
    return stored


# --- a file of nominations -----------------------------------------------------------------------------------

@dataclass
class ImportReport:
    created: list[Nomination] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line of the file, message)

    @property
    def ok(self) -> bool:
        return not self.errors


def _rows(data: bytes) -> list[dict]:
    if len(data) > CSV_MAX_BYTES:
        raise NominationError(f"Tệp lớn quá {CSV_MAX_BYTES // 1000:,} KB.".replace(",", "."))
    if b"\x00" in data:
        raise NominationError("Tệp có ký tự NUL: không phải tệp CSV văn bản.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NominationError("Tệp không phải văn bản UTF-8: lưu lại dạng CSV UTF-8 rồi tải lên.") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in ("ma_don_vi_de_nghi", "thanh_tich") if c not in header]
    if missing or not ({"ma_can_bo", "ma_don_vi"} & set(header)):
        raise NominationError(f"Dòng tiêu đề cần các cột {', '.join(CSV_COLUMNS)} (ma_can_bo cho cá nhân, "
                              "ma_don_vi cho tập thể).")
    reader.fieldnames = header
    rows = []
    try:
        for row in reader:
            if len(rows) >= CSV_MAX_ROWS:
                raise NominationError(f"Tệp có hơn {CSV_MAX_ROWS} dòng.")
            rows.append({k: (v or "").strip() if isinstance(v, str) else "" for k, v in row.items() if k})
    except csv.Error as exc:
        raise NominationError(f"Không đọc được tệp CSV: {exc}.") from None
    return rows


def nominations_import(*, campaign: Campaign, data: bytes, file_name: str, actor: Actor,
                       source: str = Source.IMPORT) -> ImportReport:
    """Propose every row of a CSV file (columns CSV_COLUMNS) through the same rules, in one transaction and one act:
    all rows or none; every bad row named (a row beyond its quota too). Raise NominationError for an unreadable
    file."""
    if actor.role == Role.TEAM:
        raise NominationError(TEAM_CANNOT, forbidden=True)
    rows = _rows(data)
    if not rows:
        raise NominationError("Tệp không có dòng đề nghị nào.")
    report = ImportReport()
    units = {u.code: u for u in Unit.objects.filter(campaign=campaign)}
    officers = {o.code: o for o in Officer.objects.filter(campaign=campaign)}
    try:
        with transaction.atomic():
            _hold_open(campaign)
            all_quotas = quotas(campaign)
            changeset = changeset_open(campaign=campaign, actor=actor.name, source=source,
                                       reason="Nhập tệp đề nghị khen thưởng", file_name=file_name[:255],
                                       file_sha256=hashlib.sha256(data).hexdigest())
            for line, row in enumerate(rows, start=2):
                try:
                    report.created.append(_import_row(campaign, actor, row, units, officers, all_quotas, changeset))
                except NominationError as exc:
                    report.errors.extend((line, p) for p in exc.problems)
            if report.errors:
                raise _RollBack
            changeset.summary = {"de_nghi": len(report.created)}
            changeset.save(update_fields=["summary"])
            changeset_seal(changeset)
    except _RollBack:
        report.created = []
    return report


class _RollBack(Exception):
    pass


def _import_row(campaign, actor, row, units, officers, all_quotas, changeset) -> Nomination:
    code = row.get("ma_don_vi_de_nghi", "")
    nominating = units.get(code)
    if nominating is None:
        raise NominationError(NO_UNIT.format(code=code[:40]))
    officer_code, unit_code = row.get("ma_can_bo", ""), row.get("ma_don_vi", "")
    if bool(officer_code) == bool(unit_code):
        raise NominationError(NAME_ONE)
    officer = collective = None
    if officer_code:
        officer = officers.get(officer_code)
        if officer is None:
            raise NominationError(NO_OFFICER.format(code=officer_code[:40]))
    else:
        collective = units.get(unit_code)
        if collective is None:
            raise NominationError(NO_UNIT.format(code=unit_code[:40]))
    kind = NominationKind.INDIVIDUAL if officer else NominationKind.COLLECTIVE
    top = provincial_unit(campaign)
    level = NominationLevel.PROVINCE if top is not None and nominating.id == top.id else NominationLevel.DISTRICT
    quota = next((q for q in all_quotas if (q.level, q.kind, q.unit.id) == (level, kind, nominating.id)), None)
    return _propose(campaign=campaign, actor=actor, quota=quota, nominating_unit=nominating, level=level, kind=kind,
                    officer=officer, collective=collective, achievements=row.get("thanh_tich", ""),
                    changeset=changeset)


# --- the lifecycle -------------------------------------------------------------------------------------------

@lifecycle.requirement(Status.PUBLISHED, Status.PROPOSED)
def _every_nomination_decided(campaign: Campaign) -> list[str]:
    waiting = (Nomination.objects.filter(campaign=campaign, status__in=(NominationStatus.PROPOSED,
                                                                       NominationStatus.ACCEPTED))
               .select_related("officer", "unit", "nominating_unit").order_by("id"))
    return [f"Đề nghị số {n.pk} ({n.officer.full_name if n.officer_id else n.unit.name}, do "
            f"{n.nominating_unit.name} đề nghị) đang «{n.get_status_display()}»: Hội đồng cần duyệt hoặc trả lại."
            for n in waiting]


def nominations_recheck(campaign: Campaign, changeset) -> list[Nomination]:
    """Return (recorded in `changeset`) the active district-level nominations whose nominating unit no longer holds
    the prize tier it nominated under (a step back, a new snapshot): their places are given back."""
    tiers = {q.unit.id: (q.tier, q.waiting) for q in quotas(campaign) if q.level == NominationLevel.DISTRICT}
    returned = []
    active = (Nomination.objects.filter(campaign=campaign, level=NominationLevel.DISTRICT,
                                        status__in=ACTIVE_NOMINATION)
              .select_related("nominating_unit", "officer", "unit").order_by("id"))
    for n in active:
        tier, waiting = tiers.get(n.nominating_unit_id, (None, False))
        if tier == n.tier and not waiting:
            continue
        now = "không đạt giải" if tier is None else (f"{vn.prize(tier)}, chờ Hội đồng phân xử" if waiting
                                                    else vn.prize(tier))
        reason = (f"Hạng giải của đơn vị đã đổi (khi đề nghị: {vn.prize(n.tier)}; nay: {now}): đề nghị được trả "
                  "lại.")
        before = _snapshot(n)
        Nomination.objects.filter(pk=n.pk, status=n.status).update(
            status=NominationStatus.RETURNED, place=None, reviewed_by="hệ thống", reviewed_at=clock.now(),
            review_reason=reason)
        n.refresh_from_db()
        record_change(changeset, ENTITY, str(n.pk), before, _snapshot(n))
        returned.append(n)
    return returned


def _recheck_after_step(campaign: Campaign, step, changeset) -> None:
    nominations_recheck(campaign, changeset)


for _source_status, _target_status in ((Status.PROPOSED, Status.PUBLISHED), (Status.PUBLISHED, Status.SCORED),
                                       (Status.SCORED, Status.CLOSED), (Status.CLOSED, Status.SCORED)):
    lifecycle.after(_source_status, _target_status)(_recheck_after_step)
