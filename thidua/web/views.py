import datetime as dt
import io

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render

from thidua.accounts.scopes import role_of, scope_of, user_admin_of
from thidua.accounts.selectors import users_summary
from thidua.awards.services import close_if_due
from thidua.campaigns.models import Campaign, ResultState, Status
from thidua.lib import vn
from thidua.scoring.core import RULE_LABELS
from thidua.standings.export import standings_xlsx as standings_xlsx_write
from thidua.standings.selectors import campaign_standings, default_as_of
from thidua.units.models import Unit

from .lifecycle import end_tasks, lifecycle_panel
from .selectors import campaign_overview, campaigns_listed, forecast_alerts, today_of, unit_page

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
def home(request):
    """Show each campaign the user may open and, for those still running, what their role has to do today."""
    panels = []
    for campaign in campaigns_listed(request.user):
        scope = scope_of(request.user, campaign)
        if campaign.status == Status.RUNNING:
            closed = close_if_due(campaign)
            closed.unit_count, campaign = campaign.unit_count, closed
        today = today_of(campaign, scope, default_as_of(campaign)) if scope and campaign.accepts_data else None
        ending = end_tasks(campaign, scope) if scope and not campaign.accepts_data else []
        alerts = forecast_alerts(campaign, scope) if today else None
        panels.append((campaign, scope, today, ending, alerts))
    admin = user_admin_of(request.user)
    return render(request, "web/home.html", {"panels": panels, "role": role_of(request.user),
                                             "users": users_summary(admin) if admin else None})


def _campaign_and_scope(request, code):
    campaign = get_object_or_404(Campaign, code=code)
    scope = scope_of(request.user, campaign)
    if scope is None:
        raise Http404("Không có đợt thi đua này.")
    return campaign, scope


def _as_of(request, campaign) -> tuple[dt.date, str | None]:
    """Return the scoring date asked for (?ngay=dd/mm/yyyy, or yyyy-mm-dd in links), or today capped at the
    deadline, and any error."""
    raw = request.GET.get("ngay", "").strip()
    if not raw:
        return default_as_of(campaign), None
    try:
        day = vn.parse_date(raw)
    except ValueError:
        return default_as_of(campaign), f"Ngày «{raw[:20]}» không hợp lệ (cần dd/mm/yyyy); đang xem đến hôm nay."
    if day < campaign.start:
        return default_as_of(campaign), f"Ngày {day:%d/%m/%Y} trước ngày bắt đầu đợt thi đua; đang xem đến hôm nay."
    return min(day, campaign.deadline), None


@login_required
def campaign_detail(request, code):
    campaign, scope = _campaign_and_scope(request, code)
    campaign = close_if_due(campaign)
    order = list(Status)
    return render(request, "web/campaign_detail.html",
                  {"campaign": campaign, "scope": scope, "result_state": ResultState(campaign.result_state).label,
                   "lc": lifecycle_panel(campaign, scope.role), "statuses": Status.choices,
                   "done_statuses": [s.value for s in order[:order.index(Status(campaign.status))]],
                   **campaign_overview(campaign, scope)})


@login_required
def standings(request, code):
    """Show the standings of every group as of a date; every competitor's points can be opened."""
    campaign, scope = _campaign_and_scope(request, code)
    as_of, error = _as_of(request, campaign)
    result = campaign_standings(campaign, as_of)
    ids = dict(Unit.objects.filter(campaign=campaign).values_list("code", "id"))
    explainable = {c for c, pk in ids.items() if scope.sees(pk)}
    tiers = {g.code: g.tiers for g in campaign.config.groups}
    return render(request, "web/standings.html", {"campaign": campaign, "result": result, "error": error,
                                                  "groups": [(g, tiers.get(g.code, ())) for g in result.groups],
                                                  "explainable": explainable, "scope": scope,
                                                  "unverified": result.unverified})


@login_required
def standings_xlsx(request, code):
    """Download the standings workbook of `thidua score --format xlsx` as of a date; every point explained for
    the competitors and teams in the user's scope."""
    campaign, scope = _campaign_and_scope(request, code)
    as_of, _error = _as_of(request, campaign)
    result = campaign_standings(campaign, as_of)
    explained = None if scope.whole_campaign else frozenset(
        Unit.objects.filter(campaign=campaign, id__in=scope.unit_ids).values_list("code", flat=True))
    buffer = io.BytesIO()
    standings_xlsx_write(result, buffer, explained=explained)
    name = f"xep-hang-{campaign.code}-{as_of:%Y-%m-%d}.xlsx"
    return FileResponse(io.BytesIO(buffer.getvalue()), as_attachment=True, filename=name, content_type=XLSX)


@login_required
def standing_detail(request, code, unit):
    """Explain one competitor's (or team's) points: quota, days, completion, every rule."""
    campaign, scope = _campaign_and_scope(request, code)
    found = get_object_or_404(Unit, campaign=campaign, code=unit)
    if not scope.sees(found.id):
        raise Http404("Không có đơn vị này trong phạm vi của bạn.")
    as_of, error = _as_of(request, campaign)
    result = campaign_standings(campaign, as_of)
    row = next((s for g in result.groups if g.standings for s in g.standings.rows if s.code == unit), None)
    group = next((g for g in result.groups if g.standings and row in g.standings.rows), None)
    if row is None:
        row = next((s for s in result.teams.rows if s.code == unit), None)
    if row is None:
        raise Http404("Đơn vị này không thi đua.")
    lines = [(RULE_LABELS.get(line.rule, line.rule), line.formula, line.points) for line in row.lines]
    return render(request, "web/standing_detail.html", {"campaign": campaign, "result": result, "row": row,
                                                        "group": group, "lines": lines, "error": error,
                                                        "unit": found})


@login_required
def unit_detail(request, code, unit):
    """Show a unit: its progress against its quota, its teams, machines, officers and communes' coverage."""
    campaign, scope = _campaign_and_scope(request, code)
    found = get_object_or_404(Unit.objects.select_related("parent", "group"), campaign=campaign, code=unit)
    if not scope.sees(found.id):
        raise Http404("Không có đơn vị này trong phạm vi của bạn.")
    as_of, error = _as_of(request, campaign)
    page = unit_page(campaign, found, campaign_standings(campaign, as_of))
    return render(request, "web/unit_detail.html", {"campaign": campaign, "unit": found, "page": page,
                                                    "as_of": as_of, "error": error, "scope": scope})


def csrf_failure(request, reason=""):
    """Say in Vietnamese why a form was refused: most often a page left open until the session ended."""
    return render(request, "403.html", {"exception": "Trang đã cũ hoặc phiên làm việc đã hết hạn: tải lại trang "
                                                     "(hoặc đăng nhập lại) rồi gửi lại."}, status=403)
