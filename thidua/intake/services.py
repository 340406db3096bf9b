"""The daily report of a team: enter the day's counts, submit, verify (which locks the day), reopen with a reason.

Every write is one act of the history, sealed into the chain, in the same transaction as the change. Who may
do what is decided by the caller (pages and API ask `accounts.scopes`); these functions keep the rules of the
data: the same row rules as the import, all or nothing, nothing counted twice.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from thidua.accounts.selectors import person
from thidua.audit.chain import changeset_seal
from thidua.audit.models import ChangeSet
from thidua.audit.services import changeset_open, reason_problem, record_change, record_changes
from thidua.campaigns import clock
from thidua.campaigns.models import Campaign, Status
from thidua.lib import vn

from .integrity import report_state
from .models import Assignment, DailyReport, IntakeRecord, ReportStatus, TeamDayTotal
from .rules import IntakeRules


class ReportError(Exception):
    """A report that cannot be written; `errors` lists (row index or None, column or None, message)."""

    def __init__(self, errors: list[tuple[int | None, str | None, str]]):
        super().__init__("; ".join(m for _, _, m in errors))
        self.errors = errors


@dataclass
class SaveResult:
    report: DailyReport
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    errors: list = field(default_factory=list)


class ReportConflict(ReportError):
    """The day was changed by someone else since the form being saved was shown (optimistic locking)."""


def day_version(campaign: Campaign, team, day: dt.date) -> int:
    """Return the version of a team's day as a form shows it: the act that last changed its counts (0: none yet)."""
    return (TeamDayTotal.objects.filter(campaign=campaign, team=team, day=day)
            .values_list("changed_in_id", flat=True).first() or 0)


def _check_version(campaign: Campaign, team, day: dt.date, version: int) -> None:
    current = day_version(campaign, team, day)
    if current == version:
        return
    act = ChangeSet.objects.filter(pk=current).values_list("actor", "at").first()
    who = (f"{person(act[0])} đã sửa số liệu ngày này lúc {timezone.localtime(act[1]):%H:%M %d/%m/%Y}" if act
           else "số liệu ngày này đã thay đổi")
    raise ReportConflict([(None, None, f"Trong lúc bạn nhập, {who}. Số liệu bạn nhập chưa được ghi và vẫn còn trong "
                                       "các ô bên dưới; số đang lưu ghi bên cạnh ô khác với số của bạn. Kiểm tra rồi "
                                       "lưu lại.")])


def _locked_campaign(campaign: Campaign, appeal: int | None = None) -> Campaign:
    """Lock the campaign row: imports and reports of one campaign write one at a time. Once the campaign is
    closed only a correction citing an accepted appeal writes, and only while the results are published."""
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if appeal is not None and locked.status == Status.PUBLISHED:
        return locked
    if not locked.accepts_data:
        raise ReportError([(None, None, f"Đợt thi đua đang ở trạng thái «{locked.get_status_display()}»: số liệu "
                                        "đã khóa.")])
    return locked


def _check_reason(reason: str) -> None:
    problem = reason_problem(reason.strip())
    if problem:
        raise ReportError([(None, None, problem)])


def _report(campaign, team, day) -> DailyReport:
    report, _ = DailyReport.objects.select_for_update().get_or_create(campaign=campaign, team=team, day=day)
    return report


def _key(record_day: dt.date, machine: str, commune: str) -> str:
    return f"{record_day.isoformat()}|{machine}|{commune}"


@transaction.atomic
def report_save(*, campaign: Campaign, team, day: dt.date, rows: list[tuple[str, str, object]], actor: str,
                reason: str = "", source: str = "web", appeal: int | None = None,
                version: int | None = None) -> SaveResult:
    """Write a team's counts of one day: rows of (machine code, commune code, applications); all or nothing.

    A value changed after the day was submitted is a correction and needs a reason; a verified day is locked.
    `version`, when given, is the day's `day_version` when the form was shown: if another act changed the day since,
    nothing is written (ReportConflict) — two clerks editing one day, the second is told.
    `appeal` is the number of the accepted appeal a correction applies (thidua/awards/appeals.py, its only
    caller): it writes into a published campaign and a verified day, and its reason must cite the appeal.
    """
    _check_reason(reason)
    if appeal is not None and f"khiếu nại số {appeal}" not in reason:
        raise ReportError([(None, None, f"Sửa theo khiếu nại phải ghi rõ «khiếu nại số {appeal}» trong lý do.")])
    campaign = _locked_campaign(campaign, appeal)
    report = _report(campaign, team, day)
    if version is not None:
        _check_version(campaign, team, day, version)
    if report.status == ReportStatus.VERIFIED and appeal is None:
        raise ReportError([(None, None, f"Ngày {day:%d/%m/%Y} của tổ {team.code} đã được xác nhận và khóa; cần PC06 "
                                        "mở lại để sửa.")])
    rules = IntakeRules.current(campaign)
    errors: list[tuple[int | None, str | None, str]] = []
    good, seen = [], {}
    for i, (machine, commune, count) in enumerate(rows):
        machine_id = rules.machines.get(str(machine).strip())
        if machine_id is not None and rules.holder(machine_id, day) not in (None, team.id):
            errors.append((i, "ma_may", f"máy {machine} không thuộc tổ {team.code} ngày {day:%d/%m/%Y}"))
            continue
        checked, problems = rules.check(day, machine, commune, count)
        errors += [(i, column, message) for column, message in problems]
        if checked is None:
            continue
        pair = (checked.machine_id, checked.commune_id)
        if pair in seen:
            errors.append((i, "ma_xa", f"máy {machine} và xã {commune} đã có ở dòng {seen[pair] + 1}"))
            continue
        seen[checked.machine_id, checked.commune_id] = i
        good.append((i, machine, commune, checked))
    stored = {(r.machine_id, r.commune_id): r for r in
              IntakeRecord.objects.filter(day=day, machine_id__in={c.machine_id for *_, c in good})}
    totals: dict[int, int] = defaultdict(int)
    for (machine_id, commune_id), record in stored.items():
        if (machine_id, commune_id) not in seen:
            totals[machine_id] += record.applications
    for _, _, _, c in good:
        totals[c.machine_id] += c.applications
    for i, machine, _, c in good:
        if totals[c.machine_id] > rules.limit:
            errors.append((i, "so_ho_so", f"tổng số hồ sơ của máy {machine} trong ngày là "
                                          f"{vn.number(totals[c.machine_id])}, vượt mức tối đa "
                                          f"{vn.number(rules.limit)} hồ sơ một máy một ngày"))
    corrections = [(i, c) for i, _, _, c in good if (c.machine_id, c.commune_id) in stored
                   and stored[c.machine_id, c.commune_id].applications != c.applications]
    if corrections and report.status == ReportStatus.SUBMITTED and not reason.strip():
        errors += [(i, "so_ho_so", "ngày đã gửi: sửa số liệu cần ghi lý do") for i, _ in corrections]
    if errors:
        raise ReportError(sorted(errors, key=lambda e: (e[0] is None, e[0] or 0)))
    changeset = changeset_open(campaign=campaign, actor=actor, source=source, reason=reason.strip())
    result, changes = SaveResult(report), []
    for _, machine, commune, c in good:
        record = stored.get((c.machine_id, c.commune_id))
        if record is None:
            IntakeRecord.objects.create(campaign=campaign, day=day, machine_id=c.machine_id, commune_id=c.commune_id,
                                        team_id=c.team_id, applications=c.applications, changeset=changeset,
                                        created_in=changeset)
            changes.append(("thu_nhan", _key(day, machine, commune), None, {"so_ho_so": c.applications}))
            result.added += 1
        elif record.applications != c.applications:
            changes.append(("thu_nhan", _key(day, machine, commune), {"so_ho_so": record.applications},
                            {"so_ho_so": c.applications}))
            record.applications, record.changeset = c.applications, changeset
            record.save(update_fields=["applications", "changeset"])
            result.changed += 1
        else:
            result.unchanged += 1
    if not changes:
        transaction.set_rollback(True)  # nothing changed: no empty act in the history
        return result
    record_changes(changeset, changes)
    changeset_seal(changeset)
    return result


def _report_key(report: DailyReport) -> str:
    return f"{report.team.code}|{report.day.isoformat()}"


def _step(report: DailyReport, to: str, **fields) -> tuple[dict, dict]:
    """Move a report to another status; return its whole state before and after, which the history records so
    that it reproduces the report (thidua/intake/integrity.py)."""
    before = report_state(report)
    report.status = to
    for name, value in fields.items():
        setattr(report, name, value)
    report.save()
    return before, report_state(report)


def _move(report: DailyReport, to: str, actor: str, reason: str, source: str, **fields) -> DailyReport:
    """Move a report to another status, as one act of the history."""
    before, after = _step(report, to, **fields)
    changeset = changeset_open(campaign=report.campaign, actor=actor, source=source, reason=reason.strip())
    record_change(changeset, "bao_cao", _report_key(report), before, after)
    changeset_seal(changeset)
    return report


NO_MACHINE = "Tổ {team} không giữ máy nào ngày {day:%d/%m/%Y}: ngày này không có báo cáo để nhập hay gửi."


def holds_machine(team, day: dt.date) -> bool:
    """Say whether a team holds a machine on a day (only then has it a report to send)."""
    return Assignment.objects.filter(team=team, start__lte=day, end__gte=day).exists()


@transaction.atomic
def report_submit(*, campaign: Campaign, team, day: dt.date, actor: str, now: dt.datetime | None = None,
                  source: str = "web") -> DailyReport:
    """Submit a team's day (a day with no intake may be submitted too); the first sending after the day itself is
    late. Sending again a day PC06 reopened keeps the first sending (who, when, late): a correction asked for is
    not a late report."""
    campaign = _locked_campaign(campaign)
    if not holds_machine(team, day):
        raise ReportError([(None, None, NO_MACHINE.format(team=team.code, day=day))])
    report = _report(campaign, team, day)
    if report.status != ReportStatus.DRAFT:
        raise ReportError([(None, None, f"Ngày {day:%d/%m/%Y} đã ở trạng thái «{report.get_status_display()}».")])
    if report.submitted_at is not None:  # reopened: sent once already
        return _move(report, ReportStatus.SUBMITTED, actor, "", source)
    now = now or clock.now()
    return _move(report, ReportStatus.SUBMITTED, actor, "", source, submitted_by=actor, submitted_at=now,
                 late=timezone.localtime(now).date() > day)


@transaction.atomic
def report_verify(*, report: DailyReport, actor: str, source: str = "web") -> DailyReport:
    """Verify a submitted day: from now on it is locked."""
    _locked_campaign(report.campaign)
    report = DailyReport.objects.select_for_update().select_related("team", "campaign").get(pk=report.pk)
    if report.status != ReportStatus.SUBMITTED:
        shown = report.get_status_display()
        raise ReportError([(None, None, f"Chỉ xác nhận được ngày đã gửi; ngày này đang «{shown}».")])
    return _move(report, ReportStatus.VERIFIED, actor, "", source, verified_by=actor, verified_at=clock.now())


NOTHING_TO_VERIFY = "Không còn báo cáo nào chờ xác nhận trong danh sách này."


@transaction.atomic
def reports_verify(*, campaign: Campaign, day: dt.date, team_ids, actor: str,
                   source: str = "web") -> list[DailyReport]:
    """Verify at once the submitted reports of a day among these teams, as one act of the history; return them.

    The caller decides which teams the user may verify; a report no longer waiting (verified meanwhile, or not
    submitted) is left as it is.
    """
    campaign = _locked_campaign(campaign)
    reports = list(DailyReport.objects.select_for_update().select_related("team")
                   .filter(campaign=campaign, day=day, team_id__in=team_ids, status=ReportStatus.SUBMITTED)
                   .order_by("team__code"))
    if not reports:
        raise ReportError([(None, None, NOTHING_TO_VERIFY)])
    changeset = changeset_open(campaign=campaign, actor=actor, source=source, reason="")
    at = clock.now()
    changes = [("bao_cao", _report_key(r), *_step(r, ReportStatus.VERIFIED, verified_by=actor, verified_at=at))
               for r in reports]
    record_changes(changeset, changes)
    changeset_seal(changeset)
    return reports


@transaction.atomic
def report_reopen(*, report: DailyReport, actor: str, reason: str, source: str = "web") -> DailyReport:
    """Reopen a verified day for corrections (PC06), with a reason; the team submits it again."""
    _check_reason(reason)
    _locked_campaign(report.campaign)
    report = DailyReport.objects.select_for_update().select_related("team", "campaign").get(pk=report.pk)
    if report.status != ReportStatus.VERIFIED:
        raise ReportError([(None, None, "Chỉ mở lại được ngày đã xác nhận.")])
    if not reason.strip():
        raise ReportError([(None, None, "Mở lại ngày đã xác nhận cần ghi lý do.")])
    return _move(report, ReportStatus.DRAFT, actor, reason, source, verified_by="", verified_at=None)
