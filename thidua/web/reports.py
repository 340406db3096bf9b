"""Pages of the daily report: the day's status of every team in scope (verified at once by the district), a
district's summary of the day to send up the line, and one team's day (enter, submit, verify, reopen). The rules
live in intake/services.py; these views only decide who may do what and show it."""

import datetime as dt
import io
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from thidua.accounts.models import Role
from thidua.accounts.scopes import ENTER_ROLES, REOPEN_ROLES, VERIFY_ROLES
from thidua.audit.labels import people
from thidua.audit.models import REASON_MAX
from thidua.campaigns import clock
from thidua.intake.export import summary_xlsx
from thidua.intake.models import Assignment, DailyReport, IntakeRecord, ReportStatus
from thidua.intake.rules import IntakeRules
from thidua.intake.selectors import (
    STATE_FILTERS,
    TeamDayRow,
    day_rows,
    day_totals,
    reopenings,
    team_parents,
)
from thidua.intake.services import (
    NO_MACHINE,
    ReportConflict,
    ReportError,
    day_version,
    report_reopen,
    report_save,
    report_submit,
    report_verify,
    reports_verify,
)
from thidua.lib import vn
from thidua.standings.selectors import default_as_of
from thidua.territory.models import AdminUnit
from thidua.units.models import Kind, Unit
from thidua.units.selectors import unit_areas

from .views import XLSX, _campaign_and_scope

# The choices of the day's list's state filter (?trang_thai=), the keys of intake.selectors.STATE_FILTERS.
STATE_LABELS = [("", _("Tất cả")), ("chua-gui", _("Chưa gửi")), ("cho-xac-nhan", _("Đã gửi, chờ xác nhận")),
                ("da-xac-nhan", _("Đã xác nhận")), ("tre-han", _("Trễ hạn"))]


def _day(raw: str | None, campaign) -> dt.date:
    try:
        day = vn.parse_date(raw) if raw else default_as_of(campaign)
    except ValueError:
        raise Http404("Ngày không hợp lệ.") from None
    if not campaign.start <= day <= campaign.deadline:
        raise Http404("Ngày nằm ngoài thời gian thi đua.")
    return day


@dataclass
class Listing:
    """A day's list as filtered on the page: the units to choose from, the unit and state chosen, the rows."""

    day: dt.date
    parents: list[Unit]
    parent: Unit | None
    state: str
    rows: list[TeamDayRow]

    @property
    def filters(self) -> str:
        """Return the unit and state chosen as a query string (for links to another day that keep them)."""
        return urlencode({k: v for k, v in (("huyen", self.parent.code if self.parent else ""),
                                            ("trang_thai", self.state)) if v})

    @property
    def query(self) -> str:
        """Return the whole filter, the day included, as a query string."""
        return "&".join(q for q in (f"ngay={self.day.isoformat()}", self.filters) if q)


def _listing(data, campaign, scope) -> Listing:
    """Read the day, unit (?huyen=) and state (?trang_thai=) asked for and the rows they keep; a unit outside the
    user's scope is not found."""
    day = _day(data.get("ngay"), campaign)
    parents = team_parents(campaign, scope.unit_ids)
    code = data.get("huyen", "").strip()
    parent = None
    if code:
        parent = next((u for u in parents if u.code == code), None)
        if parent is None:
            raise Http404("Không có đơn vị này trong phạm vi của bạn.")
    state = data.get("trang_thai", "").strip()
    state = state if state in STATE_FILTERS else ""
    rows = day_rows(campaign, day, scope.unit_ids, parent.id if parent else None)
    if state:
        rows = [r for r in rows if STATE_FILTERS[state](r)]
    return Listing(day, parents, parent, state, rows)


def _may_verify(campaign, scope) -> bool:
    return scope.role in VERIFY_ROLES and campaign.accepts_data


@login_required
def reports(request, code):
    """List the teams in scope that hold a machine on a day, with the state of their report, their count and its
    difference from their daily target; filtered by unit and state."""
    campaign, scope = _campaign_and_scope(request, code)
    listing = _listing(request.GET, campaign, scope)
    day = listing.day
    waiting = [r for r in listing.rows if r.status == ReportStatus.SUBMITTED]
    return render(request, "web/reports.html", {
        "campaign": campaign, "day": day, "listing": listing, "rows": listing.rows,
        "totals": day_totals(listing.rows), "states": STATE_LABELS, "waiting": len(waiting),
        "may_verify": _may_verify(campaign, scope) and bool(waiting),
        "may_summary": bool(listing.parents) and scope.role != Role.TEAM,
        "previous": day - dt.timedelta(days=1) if day > campaign.start else None,
        "next": day + dt.timedelta(days=1) if day < campaign.deadline else None})


@login_required
def reports_verify_page(request, code):
    """Verify at once the submitted reports of the teams shown (the day's list as filtered): the count and the teams
    first, then, confirmed, one act of the history for all of them."""
    campaign, scope = _campaign_and_scope(request, code)
    if not _may_verify(campaign, scope):
        raise PermissionDenied("Vai trò của bạn không xác nhận báo cáo ngày (hoặc số liệu đã khóa).")
    data = request.POST if request.method == "POST" else request.GET
    listing = _listing(data, campaign, scope)
    waiting = [r for r in listing.rows if r.status == ReportStatus.SUBMITTED]
    back = reverse("reports", args=[campaign.code]) + "?" + listing.query
    if request.method == "POST":
        confirmed = set(request.POST.getlist("to"))
        chosen = [r.team.id for r in waiting if r.team.code in confirmed]
        try:
            done = reports_verify(campaign=campaign, day=listing.day, team_ids=chosen,
                                  actor=request.user.get_username())
        except ReportError as exc:
            messages.error(request, " ".join(m for _, _, m in exc.errors))
            return redirect(back)
        # Confirmed teams of the list that another hand verified (or that were reopened) in between.
        left = sum(1 for r in listing.rows if r.team.code in confirmed) - len(done)
        text = ngettext("Đã xác nhận %(n)s báo cáo ngày %(d)s: số liệu đã khóa.",
                        "Đã xác nhận %(n)s báo cáo ngày %(d)s: số liệu đã khóa.", len(done)) % {
            "n": vn.number(len(done)), "d": vn.date(listing.day)}
        if left > 0:
            text += " " + ngettext("%(n)s báo cáo không còn chờ xác nhận nên được để nguyên.",
                                   "%(n)s báo cáo không còn chờ xác nhận nên được để nguyên.", left) % {
                "n": vn.number(left)}
        messages.success(request, text)
        return redirect(back)
    return render(request, "web/reports_verify.html", {
        "campaign": campaign, "listing": listing, "waiting": waiting, "back": back,
        "totals": day_totals(waiting)})


def _summary_of(request, code):
    """Return the campaign, the units to choose from, the unit chosen (None: none yet) and the day of a summary.

    A district sees its own; PC06, the council and admins choose one; a team's clerk has none to send up."""
    campaign, scope = _campaign_and_scope(request, code)
    day = _day(request.GET.get("ngay"), campaign)
    parents = team_parents(campaign, scope.unit_ids)
    if scope.role == Role.TEAM or not parents:
        raise PermissionDenied("Bảng tổng hợp ngày là của công an huyện (và PC06, Hội đồng, Quản trị).")
    code = request.GET.get("huyen", "").strip()
    if code:
        parent = next((u for u in parents if u.code == code), None)
        if parent is None:
            raise Http404("Không có đơn vị này trong phạm vi của bạn.")
    else:
        parent = parents[0] if len(parents) == 1 else None
    return campaign, scope, parents, parent, day


@login_required
def daily_summary(request, code):
    """Show a district's day, ready to print (A4) and send up the line: per team its machines, count, target,
    difference, report state and lateness; totals."""
    campaign, scope, parents, parent, day = _summary_of(request, code)
    rows = day_rows(campaign, day, scope.unit_ids, parent.id) if parent else []
    return render(request, "web/daily_summary.html", {
        "campaign": campaign, "day": day, "parents": parents, "parent": parent, "rows": rows,
        "totals": day_totals(rows), "printed_at": timezone.localtime(clock.now()),
        "previous": day - dt.timedelta(days=1) if day > campaign.start else None,
        "next": day + dt.timedelta(days=1) if day < campaign.deadline else None})


@login_required
def daily_summary_xlsx(request, code):
    """Download a district's day summary as a workbook (the same table as the printable page)."""
    campaign, scope, _parents, parent, day = _summary_of(request, code)
    if parent is None:
        raise Http404("Chọn một đơn vị để tải bảng tổng hợp.")
    rows = day_rows(campaign, day, scope.unit_ids, parent.id)
    buffer = io.BytesIO()
    summary_xlsx(buffer, campaign=campaign, parent=parent, day=day, rows=rows, totals=day_totals(rows),
                 printed_at=timezone.localtime(clock.now()))
    name = f"tong-hop-ngay-{parent.code}-{day:%Y-%m-%d}.xlsx"
    return FileResponse(io.BytesIO(buffer.getvalue()), as_attachment=True, filename=name, content_type=XLSX)


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
    report = DailyReport.objects.select_related("team").filter(team=team, day=day).first()
    status = report.status if report else ReportStatus.DRAFT
    machines, communes, stored = _grid(campaign, team, day)
    enters = scope.role in ENTER_ROLES and status != ReportStatus.VERIFIED and campaign.accepts_data
    may_enter = enters and bool(machines)  # a day without a machine has nothing to enter or send
    may_verify = scope.role in VERIFY_ROLES and status == ReportStatus.SUBMITTED
    may_reopen = scope.role in REOPEN_ROLES and status == ReportStatus.VERIFIED
    actor = request.user.get_username()
    field_errors: dict[str, str] = {}
    general: list[str] = []
    stored_now: dict[str, object] = {}  # after a conflict: what is stored now where it differs from the user's input
    values = {f"n-{m}-{c.code}": stored.get((m, c.code), "") for m in machines for c in communes}
    if request.method == "POST":
        action = request.POST.get("action")
        allowed = {"save": enters, "submit": enters, "verify": may_verify, "reopen": may_reopen}
        if not allowed.get(action):
            raise PermissionDenied("Bạn không được làm việc này với ngày này.")
        try:
            if action in ("save", "submit") and not machines:
                raise ReportError([(None, None, NO_MACHINE.format(team=team.code, day=day))])
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
                IntakeRules.current(campaign)  # read (and kept) before the transaction: see IntakeRules.current
                try:
                    with transaction.atomic():  # "save and submit" is one step: both or neither
                        report_save(campaign=campaign, team=team, day=day, rows=rows, actor=actor,
                                    reason=request.POST.get("reason", ""), version=_version(request))
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
            if isinstance(exc, ReportConflict):
                # What is stored now, beside the user's numbers (kept in the form); the form takes the new version.
                _machines, _communes, stored = _grid(campaign, team, day)
                for m in machines:
                    for c in communes:
                        name, now = f"n-{m}-{c.code}", stored.get((m, c.code), "")
                        if str(now) != str(values[name]):
                            stored_now[name] = "—" if now == "" else now
    grid = [(m, [(c, f"n-{m}-{c.code}", values[f"n-{m}-{c.code}"], field_errors.get(f"n-{m}-{c.code}"),
                  stored_now.get(f"n-{m}-{c.code}")) for c in communes]) for m in machines]
    sent_before = report is not None and report.submitted_at is not None
    return render(request, "web/report_day.html", {
        "campaign": campaign, "team": team, "day": day, "report": report, "status": status,
        "status_label": ReportStatus(status).label, "grid": grid, "general": general,
        "may_enter": may_enter, "may_verify": may_verify, "may_reopen": may_reopen,
        "sent_before": sent_before, "reopening": reopenings(campaign, [report]).get(report.id) if sent_before else None,
        "needs_reason": status == ReportStatus.SUBMITTED, "has_errors": bool(field_errors),
        "total": sum(stored.values()), "reason_max": REASON_MAX, "version": day_version(campaign, team, day),
        "people": people([report.submitted_by, report.verified_by]) if report else {},
    }, status=400 if (field_errors or general) else 200)


def _version(request) -> int | None:
    """Return the day's version the form was shown with (the page always sends it); None when a hand-made request
    sends none (no check then, as through the API); a malformed one is refused."""
    raw = request.POST.get("phien_ban")
    if raw is None:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise ReportError([(None, None, "Biểu mẫu thiếu phiên bản của ngày (trang cũ hoặc bị sửa): tải lại trang "
                                        "rồi nhập lại.")])
    return int(raw)


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
        _checked, problems = IntakeRules.current(campaign).check(day, machine, commune.code, raw)
        error = "; ".join(message for _column, message in problems) or None
    return render(request, "web/_report_cell.html", {
        "campaign": campaign, "team": team, "day": day, "commune": commune, "name": name, "value": raw,
        "error": error, "may_enter": True})
