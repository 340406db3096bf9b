"""Pages of the daily report: the day's status of every team in scope, and one team's day (enter, submit,
verify, reopen). The rules live in intake/services.py; these views only decide who may do what and show it."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from thidua.accounts.scopes import ENTER_ROLES, REOPEN_ROLES, VERIFY_ROLES
from thidua.audit.labels import people
from thidua.audit.models import REASON_MAX
from thidua.intake.models import Assignment, DailyReport, IntakeRecord, ReportStatus
from thidua.intake.rules import IntakeRules
from thidua.intake.services import ReportError, report_reopen, report_save, report_submit, report_verify
from thidua.lib import vn
from thidua.standings.selectors import default_as_of
from thidua.territory.models import AdminUnit
from thidua.units.models import Kind, Unit
from thidua.units.selectors import unit_areas

from .views import _campaign_and_scope


def _day(raw: str | None, campaign) -> dt.date:
    try:
        day = vn.parse_date(raw) if raw else default_as_of(campaign)
    except ValueError:
        raise Http404("Ngày không hợp lệ.") from None
    if not campaign.start <= day <= campaign.deadline:
        raise Http404("Ngày nằm ngoài thời gian thi đua.")
    return day


@login_required
def reports(request, code):
    """List the teams in scope that hold a machine on a day, with the state of their report."""
    campaign, scope = _campaign_and_scope(request, code)
    day = _day(request.GET.get("ngay"), campaign)
    holding = Assignment.objects.filter(machine__campaign=campaign, start__lte=day, end__gte=day).values("team_id")
    teams = Unit.objects.filter(campaign=campaign, kind=Kind.TO, id__in=holding).select_related("parent")
    if not scope.whole_campaign:
        teams = teams.filter(id__in=scope.unit_ids)
    by_team = {r.team_id: r for r in DailyReport.objects.filter(campaign=campaign, day=day)}
    rows = [(team, by_team.get(team.id)) for team in teams.order_by("code")]
    missing = sum(1 for _, r in rows if r is None or r.status == ReportStatus.DRAFT)
    return render(request, "web/reports.html", {"campaign": campaign, "day": day, "rows": rows, "missing": missing,
                                                "previous": day - dt.timedelta(days=1) if day > campaign.start
                                                else None,
                                                "next": day + dt.timedelta(days=1) if day < campaign.deadline
                                                else None})


def _grid(campaign, team, day):
    """Return the machines the team holds that day, its communes, and the stored counts."""
    machines = list(Assignment.objects.filter(team=team, start__lte=day, end__gte=day).select_related("machine")
                    .order_by("machine__code"))
    communes = list(AdminUnit.objects.filter(id__in=unit_areas(campaign).get(team.id, ())).order_by("code"))
    stored = {(r.machine.code, r.commune.code): r.applications for r in
              IntakeRecord.objects.filter(team=team, day=day).select_related("machine", "commune")}
    return [a.machine.code for a in machines], communes, stored


def team_day_of(request, code, team, day):
    """Return (campaign, scope, team, day) of a team's day in the user's scope; 404 for anything else."""
    campaign, scope = _campaign_and_scope(request, code)
    found = get_object_or_404(Unit, campaign=campaign, code=team, kind=Kind.TO)
    if not scope.sees(found.id):
        raise Http404("Không có tổ này trong phạm vi của bạn.")
    return campaign, scope, found, _day(day, campaign)


@login_required
def report_day(request, code, team, day):
    """Show and change one team's day, as the user's role allows."""
    campaign, scope, team, day = team_day_of(request, code, team, day)
    report = DailyReport.objects.filter(team=team, day=day).first()
    status = report.status if report else ReportStatus.DRAFT
    may_enter = scope.role in ENTER_ROLES and status != ReportStatus.VERIFIED and campaign.accepts_data
    may_verify = scope.role in VERIFY_ROLES and status == ReportStatus.SUBMITTED
    may_reopen = scope.role in REOPEN_ROLES and status == ReportStatus.VERIFIED
    machines, communes, stored = _grid(campaign, team, day)
    actor = request.user.get_username()
    field_errors: dict[str, str] = {}
    general: list[str] = []
    values = {f"n-{m}-{c.code}": stored.get((m, c.code), "") for m in machines for c in communes}
    if request.method == "POST":
        action = request.POST.get("action")
        allowed = {"save": may_enter, "submit": may_enter, "verify": may_verify, "reopen": may_reopen}
        if not allowed.get(action):
            raise PermissionDenied("Bạn không được làm việc này với ngày này.")
        try:
            if action in ("save", "submit"):
                rows, keys = [], []
                for m in machines:
                    for c in communes:
                        name = f"n-{m}-{c.code}"
                        raw = request.POST.get(name, "").strip()
                        values[name] = raw
                        if raw:
                            rows.append((m, c.code, raw))
                            keys.append(name)
                        elif (m, c.code) in stored:
                            field_errors[name] = "ô đã có số liệu: ghi 0 nếu không thu nhận, không để trống"
                if field_errors:
                    raise ReportError([])
                try:
                    with transaction.atomic():  # "save and submit" is one step: both or neither
                        report_save(campaign=campaign, team=team, day=day, rows=rows, actor=actor,
                                    reason=request.POST.get("reason", ""))
                        if action == "submit":
                            report_submit(campaign=campaign, team=team, day=day, actor=actor)
                except ReportError as exc:
                    for i, _column, message in exc.errors:
                        if i is None:
                            general.append(message)
                        else:
                            field_errors[keys[i]] = message
                    raise
                messages.success(request, f"Đã gửi báo cáo ngày {day:%d/%m/%Y} của {team.name}." if action == "submit"
                                 else "Đã lưu.")
            elif action == "verify":
                report_verify(report=report, actor=actor)
                messages.success(request, f"Đã xác nhận ngày {day:%d/%m/%Y}: số liệu đã khóa.")
            else:
                report_reopen(report=report, actor=actor, reason=request.POST.get("reason", ""))
                messages.success(request, f"Đã mở lại ngày {day:%d/%m/%Y} để tổ sửa và gửi lại.")
            return redirect(reverse("report_day", args=[campaign.code, team.code, day.isoformat()]))
        except ReportError as exc:
            if not field_errors and not general:
                general = [m for _, _, m in exc.errors]
    grid = [(m, [(c, f"n-{m}-{c.code}", values[f"n-{m}-{c.code}"], field_errors.get(f"n-{m}-{c.code}"))
                 for c in communes]) for m in machines]
    return render(request, "web/report_day.html", {
        "campaign": campaign, "team": team, "day": day, "report": report, "status": status,
        "status_label": ReportStatus(status).label, "grid": grid, "general": general,
        "may_enter": may_enter, "may_verify": may_verify, "may_reopen": may_reopen,
        "needs_reason": status == ReportStatus.SUBMITTED, "has_errors": bool(field_errors),
        "total": sum(stored.values()), "reason_max": REASON_MAX,
        "people": people([report.submitted_by, report.verified_by]) if report else {},
    }, status=400 if (field_errors or general) else 200)


@require_POST
@login_required
def report_cell(request, code, team, day):
    """Check one field of a team's day as it is typed (htmx), with the rules of the import; nothing is saved."""
    campaign, scope, team, day = team_day_of(request, code, team, day)
    if scope.role not in ENTER_ROLES:
        raise PermissionDenied("Bạn không được nhập số liệu.")
    machines, communes, _stored = _grid(campaign, team, day)
    name = request.POST.get("o", "")
    cell = next(((m, c) for m in machines for c in communes if f"n-{m}-{c.code}" == name), None)
    if cell is None:
        raise Http404("Không có ô này trong báo cáo của tổ.")
    machine, commune = cell
    raw = request.POST.get(name, "").strip()
    error = None
    if raw:
        _checked, problems = IntakeRules(campaign).check(day, machine, commune.code, raw)
        error = "; ".join(message for _column, message in problems) or None
    return render(request, "web/_report_cell.html", {
        "campaign": campaign, "team": team, "day": day, "commune": commune, "name": name, "value": raw,
        "error": error, "may_enter": True})
