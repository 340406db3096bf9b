"""Appeals (khiếu nại) while the results are published (docs/documents.md).

A district files for its own teams, a team for itself, within the window (`appeals_until`): on a team's day — one
row of the intake, (machine, commune), with the value it expects — or on a rule, with why and evidence files. PC06
accepts or rejects it with a reason. An accepted appeal on a day is the one correction a published campaign takes:
it goes through the daily report's own path (`intake.services.report_save`, citing the appeal) and re-scores into a
new snapshot, the old one kept. An accepted appeal on a rule changes no data: changing the scale needs the council
and a step back to «closed». Proposing the awards waits until every appeal is decided.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Sum

from thidua.accounts.models import Role
from thidua.accounts.scopes import Scope, scope_of
from thidua.audit.chain import changeset_seal
from thidua.audit.models import REASON_MAX
from thidua.audit.services import changeset_open, record_change
from thidua.campaigns import clock
from thidua.campaigns.models import Campaign, Status
from thidua.intake.models import Assignment, IntakeRecord, Machine
from thidua.intake.rules import IntakeRules
from thidua.intake.services import ReportError, report_save
from thidua.lib import vn
from thidua.lib.text import has_control
from thidua.standings.selectors import forget_standings
from thidua.territory.models import AdminUnit
from thidua.units.models import Unit

from . import evidence, lifecycle
from .changes import GroupChange, rank_changes
from .models import Appeal, AppealKind, AppealStatus, Snapshot
from .nominations import nominations_recheck
from .selectors import latest_snapshot
from .services import StepError, freeze

FILE_ROLES = frozenset({Role.DISTRICT, Role.TEAM})  # file appeals, for their own subtree
SEE_ALL_ROLES = frozenset({Role.ADMIN, Role.PC06, Role.COUNCIL})  # see every appeal of the campaign
DECIDE_ROLES = frozenset({Role.PC06})  # accept or reject
RULE_MAX = Appeal._meta.get_field("rule").max_length
# Both reasons are quoted in the reasons of their acts (after «Khiếu nại số 12: »…), which the history bounds at
# REASON_MAX.
APPEAL_REASON_MAX = REASON_MAX - 100
DECISION_MAX = REASON_MAX - 100
CODE_MAX = 40
ENTITY = "khieu_nai"

NOT_FILER = "Chỉ công an huyện và tổ gửi khiếu nại, cho đơn vị của mình."
WINDOW_CLOSED = "Không trong thời hạn khiếu nại: chỉ gửi khi kết quả đã công bố, đến hết ngày {until}."
WINDOW_NOT_OPEN = "Không trong thời hạn khiếu nại: kết quả chưa công bố hoặc đã trình khen thưởng."
ONLY_PC06 = "Chỉ PC06 giải quyết khiếu nại."
NOT_PUBLISHED = "Chỉ giải quyết khiếu nại khi kết quả đang công bố (chưa trình khen thưởng)."
DECIDED = "Khiếu nại số {number} đã được giải quyết: {status}."
RULE_NOTE = ("Khiếu nại về cách tính điểm được chấp nhận không đổi số liệu: muốn đổi thang điểm, Hội đồng TĐKT duyệt "
             "thang điểm mới sau khi đưa đợt thi đua về «Đã kết thúc».")


def _clean(raw, label: str, limit: int, problems: list[str], required: bool = True) -> str:
    """Return a text field stripped, or "" with its problem added (missing, too long, control characters)."""
    text = str(raw or "").strip()
    if not text:
        if required:
            problems.append(f"Cần ghi {label}.")
        return ""
    if has_control(text):
        problems.append(f"{label.capitalize()} có ký tự điều khiển (như NUL): xóa ký tự đó rồi gửi lại.")
        return ""
    if len(text) > limit:
        problems.append(f"{label.capitalize()} dài {vn.number(len(text))} ký tự, quá mức {vn.number(limit)} ký tự.")
        return ""
    return text


def appeals_until(campaign: Campaign) -> dt.date | None:
    """Return the last day of the appeals window, or None when the results are not published."""
    until = (campaign.workflow or {}).get("appeals_until")
    return dt.date.fromisoformat(until) if until else None


def window_open(campaign: Campaign) -> bool:
    """Say whether appeals may be filed today."""
    until = appeals_until(campaign)
    return campaign.status == Status.PUBLISHED and until is not None and clock.today() <= until


def may_file(scope: Scope | None) -> bool:
    return scope is not None and scope.role in FILE_ROLES


def may_decide(role: str | None) -> bool:
    return role in DECIDE_ROLES


def may_see(scope: Scope | None, appeal: Appeal) -> bool:
    """Say whether a user of this scope sees an appeal (and its evidence): PC06, the council and admins every one;
    the filing unit and the units above it theirs."""
    if scope is None:
        return False
    if scope.role in SEE_ALL_ROLES:
        return True
    return scope.role in FILE_ROLES and scope.sees(appeal.unit_id)


def visible(campaign: Campaign, scope: Scope | None):
    """Return the appeals of a campaign a scope sees, newest first, with what their lists show."""
    found = (Appeal.objects.filter(campaign=campaign).select_related("unit", "team", "machine", "commune")
             .order_by("-number"))
    if scope is None or (scope.role not in SEE_ALL_ROLES and scope.role not in FILE_ROLES):
        return found.none()
    if scope.whole_campaign or scope.role in SEE_ALL_ROLES:
        return found
    return found.filter(unit_id__in=scope.unit_ids)


def filing_teams(campaign: Campaign, scope: Scope) -> list[Unit]:
    """Return the units of a scope that held a machine during the campaign (those whose days may be appealed)."""
    held = Assignment.objects.filter(machine__campaign=campaign).values("team_id")
    teams = Unit.objects.filter(campaign=campaign, id__in=held).order_by("code")
    return list(teams if scope.whole_campaign else teams.filter(id__in=scope.unit_ids))


@dataclass(frozen=True)
class DayTarget:
    """The one intake row an appeal on a day is about, and its value now (0 for a row not recorded)."""

    team: Unit
    day: dt.date
    machine: Machine
    commune: AdminUnit
    current: int


def _day_target(campaign: Campaign, scope: Scope, fields: dict, problems: list[str]) -> DayTarget | None:
    """Return the row an appeal on a team's day is about, or None with every problem added."""
    team_code = _clean(fields.get("team"), "tổ", CODE_MAX, problems)
    raw_day = fields.get("day")
    day = None
    if isinstance(raw_day, dt.date):
        day = raw_day
    else:
        text = _clean(raw_day, "ngày", 10, problems)
        if text:
            try:
                day = vn.parse_date(text)
            except ValueError:
                problems.append(f"Ngày «{text}» không hợp lệ (cần dd/mm/yyyy).")
    if day is not None and not campaign.start <= day <= campaign.deadline:
        problems.append(f"Ngày {day:%d/%m/%Y} nằm ngoài thời gian thi đua ({campaign.start:%d/%m/%Y} – "
                        f"{campaign.deadline:%d/%m/%Y}).")
        day = None
    machine_code = _clean(fields.get("machine"), "mã máy", CODE_MAX, problems, required=False)
    commune_code = _clean(fields.get("commune"), "mã xã", CODE_MAX, problems, required=False)
    expected = None
    raw = str(fields.get("expected") if fields.get("expected") is not None else "").strip()
    rules = IntakeRules.current(campaign)
    if not raw:
        problems.append("Cần ghi số hồ sơ mong muốn.")
    elif not (raw.isascii() and raw.isdigit() and len(raw) < 10):
        problems.append(f"Số hồ sơ mong muốn «{raw[:20]}» phải là số nguyên không âm (ví dụ 120).")
    elif int(raw) > rules.limit:
        problems.append(f"Số hồ sơ mong muốn {vn.number(int(raw))} vượt mức tối đa {vn.number(rules.limit)} hồ sơ một "
                        "máy một ngày.")
    else:
        expected = int(raw)
    team = None
    if team_code:
        team = Unit.objects.filter(campaign=campaign, code=team_code).first()
        if team is None or not scope.sees(team.id):
            problems.append(f"Không có tổ «{team_code}» trong đơn vị của bạn.")
            team = None
    if team is None or day is None or expected is None:
        return None
    records = IntakeRecord.objects.filter(campaign=campaign, team=team, day=day).select_related("machine", "commune")
    if machine_code:
        records = records.filter(machine__code=machine_code)
    if commune_code:
        records = records.filter(commune__code=commune_code)
    if not (machine_code and commune_code):
        found = list(records.order_by("machine__code", "commune__code")[:21])
        if len(found) == 1:
            machine_code, commune_code = found[0].machine.code, found[0].commune.code
        elif not found:
            problems.append(f"Ngày {day:%d/%m/%Y} tổ {team.code} không có số liệu nào khớp: ghi cả mã máy và mã xã "
                            "của dòng cần bổ sung.")
            return None
        else:
            rows = ", ".join(f"{r.machine.code} / {r.commune.code}" for r in found[:20])
            problems.append(f"Ngày {day:%d/%m/%Y} tổ {team.code} có nhiều dòng số liệu (máy / xã: {rows}): chọn máy và "
                            "xã của dòng cần sửa.")
            return None
    checked, row_problems = rules.check(day, machine_code, commune_code, str(expected))
    problems.extend(message[:1].upper() + message[1:] + "." for _, message in row_problems)
    if checked is None:
        return None
    if checked.team_id != team.id:
        problems.append(f"Máy {machine_code} không thuộc tổ {team.code} ngày {day:%d/%m/%Y}.")
        return None
    record = IntakeRecord.objects.filter(day=day, machine_id=checked.machine_id,
                                         commune_id=checked.commune_id).first()
    current = record.applications if record else 0
    machine_day = (IntakeRecord.objects.filter(day=day, machine_id=checked.machine_id)
                   .aggregate(n=Sum("applications"))["n"] or 0) - current + expected
    if machine_day > rules.limit:
        problems.append(f"Với số mong muốn, máy {machine_code} thu nhận {vn.number(machine_day)} hồ sơ ngày "
                        f"{day:%d/%m/%Y}, vượt mức tối đa {vn.number(rules.limit)} hồ sơ một máy một ngày.")
        return None
    if current == expected:
        problems.append(f"Số hồ sơ mong muốn bằng số đang ghi nhận ({vn.number(current)}): không có gì để khiếu nại.")
        return None
    return DayTarget(team=team, day=day, machine=Machine.objects.get(pk=checked.machine_id),
                     commune=AdminUnit.objects.get(pk=checked.commune_id), current=current)


def _state(appeal: Appeal) -> dict:
    """Return what the history records of an appeal (its fields named like the data formats')."""
    return {
        "loai": appeal.kind, "don_vi_gui": appeal.unit.code, "ma_to": appeal.team.code if appeal.team else None,
        "ngay": appeal.day, "ma_may": appeal.machine.code if appeal.machine else None,
        "ma_xa": appeal.commune.code if appeal.commune else None, "so_dang_ghi": appeal.current_value,
        "so_mong_muon": appeal.expected_value, "cach_tinh": appeal.rule, "ly_do": appeal.reason,
        "trang_thai": appeal.status, "nguoi_giai_quyet": appeal.decided_by or None,
        "ly_do_giai_quyet": appeal.decision_reason,
        "ban_chot_truoc": appeal.snapshot_before.version if appeal.snapshot_before else None,
        "ban_chot_sau": appeal.snapshot_after.version if appeal.snapshot_after else None,
    }


def _key(appeal: Appeal) -> str:
    return f"{appeal.campaign.code}#{appeal.number}"


@transaction.atomic
def file_appeal(*, campaign: Campaign, user, kind: str, reason: str, team="", day="", machine="", commune="",
                expected="", rule: str = "", files=(), source: str = "web") -> Appeal:
    """File an appeal as `user` (a district for its teams, a team for itself), with its evidence files; raise
    StepError naming every problem (nothing written).

    A day appeal names a team, a day and the value expected; the machine and the commune may be left out when the
    day has only one row. The campaign row is locked: appeals filed at once get distinct numbers.
    """
    scope = scope_of(user, campaign)
    profile = getattr(user, "profile", None)
    if not may_file(scope) or profile is None or profile.unit_id is None:
        raise StepError(NOT_FILER)
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if not window_open(locked):
        until = appeals_until(locked)
        raise StepError(WINDOW_CLOSED.format(until=vn.date(until)) if until and locked.status == Status.PUBLISHED
                        else WINDOW_NOT_OPEN)
    problems: list[str] = []
    reason = _clean(reason, "lý do khiếu nại", APPEAL_REASON_MAX, problems)
    target, rule_text = None, ""
    if kind == AppealKind.DAY:
        target = _day_target(locked, scope, {"team": team, "day": day, "machine": machine, "commune": commune,
                                             "expected": expected}, problems)
    elif kind == AppealKind.RULE:
        rule_text = _clean(rule, "nội dung cách tính điểm bị khiếu nại", RULE_MAX, problems)
    else:
        problems.append("Cần chọn loại khiếu nại: số liệu một ngày của tổ, hoặc cách tính điểm.")
    files = [f for f in files if f is not None]
    limit = settings.THIDUA_EVIDENCE_MAX_FILES
    if len(files) > limit:
        problems.append(evidence.TOO_MANY.format(limit=limit))
    else:
        for uploaded in files:
            problems.extend(evidence.check_upload(uploaded)[1])
    if target is not None:
        open_one = Appeal.objects.filter(campaign=locked, status=AppealStatus.FILED, day=target.day,
                                         machine=target.machine, commune=target.commune).first()
        if open_one is not None:
            problems.append(f"Dòng số liệu này đang có khiếu nại số {open_one.number} chờ giải quyết.")
    if problems:
        raise StepError(problems)
    number = (Appeal.objects.filter(campaign=locked).aggregate(n=Max("number"))["n"] or 0) + 1
    actor = user.get_username()
    appeal = Appeal.objects.create(
        campaign=locked, number=number, unit=profile.unit, kind=kind, rule=rule_text, reason=reason,
        filed_by=actor, filed_at=clock.now(),
        **({"team": target.team, "day": target.day, "machine": target.machine, "commune": target.commune,
            "current_value": target.current, "expected_value": int(expected)} if target else {}))
    changeset = changeset_open(campaign=locked, actor=actor, source=source, reason=f"Khiếu nại số {number}: {reason}")
    record_change(changeset, ENTITY, _key(appeal), None, _state(appeal))
    for uploaded in files:
        evidence.store(locked, uploaded, actor=actor, appeal=appeal, changeset=changeset)
    changeset_seal(changeset)
    return appeal


@dataclass(frozen=True)
class Decision:
    appeal: Appeal
    corrected: bool  # the intake changed and a new snapshot was frozen
    note: str  # what the decision did, in Vietnamese


@transaction.atomic
def decide_appeal(*, appeal: Appeal, actor: str, role: str | None, accept: bool, reason: str,
                  source: str = "web") -> Decision:
    """Accept or reject an appeal as PC06, with a reason; raise StepError if refused (nothing changed).

    Accepting an appeal on a day corrects the row (an act citing the appeal) and freezes the next snapshot, both
    in this one transaction; accepting one on a rule changes no data; rejecting changes only the appeal.
    """
    if not may_decide(role):
        raise StepError(ONLY_PC06)
    problems: list[str] = []
    reason = _clean(reason, "lý do giải quyết", DECISION_MAX, problems)
    if problems:
        raise StepError(problems)
    campaign = Campaign.objects.select_for_update().get(pk=appeal.campaign_id)
    if campaign.status != Status.PUBLISHED:
        raise StepError(NOT_PUBLISHED)
    appeal = (Appeal.objects.select_for_update(of=("self",))
              .select_related("campaign", "unit", "team", "machine", "commune").get(pk=appeal.pk))
    if appeal.status != AppealStatus.FILED:
        raise StepError(DECIDED.format(number=appeal.number, status=appeal.get_status_display()))
    before = _state(appeal)
    corrected = False
    if accept and appeal.kind == AppealKind.DAY:
        try:
            saved = report_save(
                campaign=campaign, team=appeal.team, day=appeal.day, actor=actor, source=source, appeal=appeal.number,
                rows=[(appeal.machine.code, appeal.commune.code, appeal.expected_value)],
                reason=f"Sửa số liệu theo khiếu nại số {appeal.number} đã được chấp nhận: {reason}")
        except ReportError as exc:
            raise StepError([message for *_, message in exc.errors]) from None
        corrected = bool(saved.added or saved.changed)
    appeal.status = AppealStatus.ACCEPTED if accept else AppealStatus.REJECTED
    appeal.decided_by, appeal.decided_at, appeal.decision_reason = actor, clock.now(), reason
    verdict = "được chấp nhận" if accept else "không được chấp nhận"
    changeset = changeset_open(campaign=campaign, actor=actor, source=source,
                               reason=f"Khiếu nại số {appeal.number} {verdict}: {reason}")
    if corrected:
        appeal.snapshot_before = latest_snapshot(campaign)
        appeal.snapshot_after = freeze(campaign=campaign, actor=actor, changeset=changeset, appeal=appeal,
                                       reason=f"Chấm lại theo khiếu nại số {appeal.number} đã được chấp nhận.")
        # A unit whose prize tier the new snapshot changed gets its nominations back (their places freed).
        nominations_recheck(campaign, changeset)
    appeal.save()
    record_change(changeset, ENTITY, _key(appeal), before, _state(appeal))
    changeset_seal(changeset)
    forget_standings()
    if not accept:
        note = f"Khiếu nại số {appeal.number} không được chấp nhận: không thay đổi số liệu."
    elif appeal.kind == AppealKind.RULE:
        note = RULE_NOTE
    elif corrected:
        note = (f"Đã sửa số liệu và chấm lại: bản chốt kết quả số {appeal.snapshot_after.version} (bản số "
                f"{appeal.snapshot_before.version} vẫn được giữ).")
    else:
        note = "Số liệu đã đúng như khiếu nại mong muốn: không có gì để sửa, không chấm lại."
    return Decision(appeal=appeal, corrected=corrected, note=note)


def appeal_changes(appeal: Appeal) -> list[GroupChange]:
    """Return the change in ranks an accepted appeal made (empty when it made no new snapshot)."""
    before, after = appeal.snapshot_before, appeal.snapshot_after
    if before is None or after is None or not (before.intact and after.intact):
        return []
    return rank_changes(before.payload(), after.payload())


def snapshot_history(campaign: Campaign) -> list[tuple[Snapshot, list[GroupChange]]]:
    """Return every snapshot of a campaign, oldest first, each with the change in ranks from the one before."""
    snapshots = list(Snapshot.objects.filter(campaign=campaign).select_related("appeal").order_by("version"))
    found, previous = [], None
    for snapshot in snapshots:
        payload = snapshot.payload() if snapshot.intact else None
        changes = rank_changes(previous, payload) if previous is not None and payload is not None else []
        found.append((snapshot, changes))
        previous = payload
    return found


def open_numbers(campaign: Campaign) -> list[int]:
    return list(Appeal.objects.filter(campaign=campaign, status=AppealStatus.FILED)
                .order_by("number").values_list("number", flat=True))


@lifecycle.requirement(Status.PUBLISHED, Status.PROPOSED)
def _every_appeal_decided(campaign: Campaign) -> list[str]:
    numbers = open_numbers(campaign)
    if not numbers:
        return []
    return [f"Còn khiếu nại chưa giải quyết: số {', '.join(str(n) for n in numbers)}."]
