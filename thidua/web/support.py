"""The support planner's page (docs/monitoring.md, «Support planner as of E»): where PC06's support machines should
go, each competitor's work left and projected end before and after, applying the plan and ending a deployment early.

PC06 and Quản trị plan and apply; the council and viewers read; districts and teams are refused (the plan is PC06's
decision about the whole province).
"""

import datetime as dt
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from thidua.campaigns import clock
from thidua.campaigns.models import Status
from thidua.intake.models import SupportDeployment
from thidua.lib import vn
from thidua.monitoring import support as service
from thidua.scoring.planner import NEVER

from .views import _campaign_and_scope

CHART_ID = "bieu-do-ho-tro"
CODE_MAX = 40
MACHINES_MAX = 200


def _support_scope(request, code, write: bool = False):
    """Return (campaign, scope) for a role that may read the planner (write: apply it); refuse the others."""
    campaign, scope = _campaign_and_scope(request, code)
    if scope.role not in service.READ_ROLES:
        raise PermissionDenied(_("Chỉ PC06, Hội đồng TĐKT, Quản trị và người xem toàn tỉnh xem kế hoạch hỗ trợ."))
    if write and scope.role not in service.APPLY_ROLES:
        raise PermissionDenied(service.ONLY_PC06)
    return campaign, scope


def _as_of(raw: str, campaign) -> tuple[dt.date | None, str | None]:
    """Return the planning date asked for (dd/mm/yyyy, or yyyy-mm-dd in links), None for the default, and any error."""
    raw = raw.strip()
    if not raw:
        return None, None
    try:
        return vn.parse_date(raw[:10]) if "/" in raw else dt.date.fromisoformat(raw[:10]), None
    except ValueError:
        return None, _("Ngày «%(raw)s» không hợp lệ (cần dd/mm/yyyy); đang lập kế hoạch đến hôm nay.") % {
            "raw": raw[:20]}


def _machines(request_data) -> list[str] | None:
    """Return the machines ticked (None when the pool was not narrowed), each code bounded."""
    if not request_data.get("chon"):
        return None
    return [m.strip()[:CODE_MAX] for m in request_data.getlist("may")[:MACHINES_MAX] if m.strip()]


def _chart(inputs, result) -> dict:
    """Return the ECharts option: days until each competitor's projected end, before and after, and the deadline.

    Bars carry patterns as well as colours (readable printed in black and white); a competitor that never ends at
    that rate has no bar (the table beside says so)."""
    names = [inputs.names.get(o.unit, o.unit) for o in result.before]
    deadline_days = (inputs.deadline - inputs.as_of).days

    def days(outcomes):
        return [(o.projected_on - inputs.as_of).days if o.projected_on and o.work_left else None for o in outcomes]

    return {
        "animation": False,
        "aria": {"enabled": True, "decal": {"show": True}, "label": {"description": _(
            "Biểu đồ số ngày đến khi xong của từng đơn vị, trước và sau điều động, so với hạn cuối; số liệu ở bảng bên "
            "cạnh.")}},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 8, "right": 24, "bottom": 32, "top": 40, "containLabel": True},
        "yAxis": {"type": "category", "data": names, "inverse": True,
                  "axisLabel": {"width": 150, "overflow": "break", "lineHeight": 14}},
        "xAxis": {"type": "value", "name": _("Số ngày đến khi xong"), "nameLocation": "middle", "nameGap": 24},
        "series": [
            {"type": "bar", "name": _("Trước điều động"), "data": days(result.before),
             "itemStyle": {"color": "#9aa5b1"}},
            {"type": "bar", "name": _("Sau điều động"), "data": days(result.after), "itemStyle": {"color": "#1f5fa8"},
             "markLine": {"symbol": "none", "lineStyle": {"type": "dashed", "color": "#a40000", "width": 2},
                          "label": {"formatter": _("Hạn cuối"), "position": "start"},
                          "data": [{"xAxis": deadline_days}]}},
        ],
    }


def _rows(inputs, result) -> list[dict]:
    """Return each competitor's line of the table: name, work left, projected end and lateness before and after."""
    return [{"code": b.unit, "name": inputs.names.get(b.unit, b.unit), "work_left": b.work_left, "before": b,
             "after": a, "helped": [m.machine for m in result.moves if m.to == b.unit]}
            for b, a in zip(result.before, result.after, strict=True)]


def _page(request, campaign, scope, as_of_raw: str, machines, problems=(), reason="", status=200):
    """Render the planner as of the date asked for, the pool narrowed to the machines ticked."""
    as_of, error = _as_of(as_of_raw, campaign)
    context = {"campaign": campaign, "tab": "support", "error": error, "problems": list(problems),
               "may_apply": scope.role in service.APPLY_ROLES, "running": campaign.status == Status.RUNNING,
               "reason": reason, "reason_max": service.REASON_MAX - 200, "today": clock.today(), "chart_id": CHART_ID}
    try:
        full = service.support_inputs(campaign, as_of)
        inputs, result = service.solved(service.narrowed(full, machines) if machines is not None else full)
    except service.SupportError as exc:
        context["error"] = " ".join(filter(None, [error, str(exc)]))
        full = inputs = result = None
    if result is not None:
        latest = result.objective.latest
        context.update({
            "full_pool": full.pool, "inputs": inputs, "result": result, "rows": _rows(inputs, result),
            "ticked": {m.machine for m in inputs.pool}, "team_names": full.names,
            "latest_never": latest == NEVER, "latest": latest if isinstance(latest, dt.date) else None,
            "moves_shown": [(m, inputs.names.get(m.to, m.to)) for m in result.moves],
            "expected": [f"{m.machine}|{m.to}" for m in result.moves],
            "chart": json.dumps(_chart(inputs, result), ensure_ascii=False),
            # The chart's height by the number of bars (no inline style under the Content-Security-Policy).
            "chart_size": "rows-short" if len(result.before) <= 8 else "rows-long"})
    today = clock.today()
    context["deployments"] = [(d, d.ended_early_on is None and d.end > today) for d in service.deployments(campaign)]
    return render(request, "web/support_plan.html", context, status=status)


@login_required
def support_plan(request, code):
    """Show the optimal plan as of a date (?ngay=), the pool narrowed by the machines ticked (?chon=1&may=…)."""
    campaign, scope = _support_scope(request, code)
    return _page(request, campaign, scope, request.GET.get("ngay", ""), _machines(request.GET))


@login_required
@require_POST
def support_apply(request, code):
    """Apply the plan PC06 saw (its moves sent back as they were shown), with a reason and a confirmation."""
    campaign, scope = _support_scope(request, code, write=True)
    raw_day, machines = request.POST.get("ngay", ""), _machines(request.POST)
    reason = request.POST.get("ly_do", "")
    as_of, error = _as_of(raw_day, campaign)
    problems = [error] if error else []
    if not request.POST.get("xac_nhan"):
        problems.append(_("Cần đánh dấu xác nhận ghi các điều động vào nhật ký."))
    expected = []
    for item in request.POST.getlist("dieu_dong")[:MACHINES_MAX]:
        machine, _sep, to = item.partition("|")
        expected.append((machine[:CODE_MAX], to[:CODE_MAX]))
    if not problems:
        try:
            made = service.apply_plan(campaign=campaign, as_of=as_of, machines=machines, expected=expected,
                                      actor=request.user.get_username(), role=scope.role, reason=reason, source="web")
        except service.SupportError as exc:
            problems.append(str(exc))
    if problems:
        return _page(request, campaign, scope, raw_day, machines, problems, reason, status=400)
    messages.success(request, _("Đã ghi %(n)s điều động máy hỗ trợ vào nhật ký.") % {"n": len(made)})
    return redirect("support_plan", campaign.code)


@login_required
@require_POST
def support_end(request, code, pk):
    """End a deployment early (PC06), with a reason: its last day of support is today."""
    campaign, scope = _support_scope(request, code, write=True)
    deployment = get_object_or_404(SupportDeployment, pk=pk, campaign=campaign)
    try:
        ended = service.end_deployment(deployment=deployment, last_day=None, actor=request.user.get_username(),
                                       role=scope.role, reason=request.POST.get("ly_do", ""), source="web")
    except service.SupportError as exc:
        return _page(request, campaign, scope, "", None, [str(exc)], status=400)
    messages.success(request, _("Đã kết thúc sớm việc hỗ trợ của máy %(code)s: ngày hỗ trợ cuối cùng %(day)s.") % {
        "code": ended.machine.code, "day": vn.date(ended.ended_early_on)})
    return redirect("support_plan", campaign.code)
