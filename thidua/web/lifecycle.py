"""The campaign's lifecycle in the site (docs/documents.md): the steps a role may take from the campaign page, the
council's approval of the scale and rulings on ties, and what each unit and person receives."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from thidua.accounts.models import Role
from thidua.accounts.scopes import scope_of
from thidua.awards import lifecycle
from thidua.awards.money import money
from thidua.awards.selectors import (
    latest_snapshot,
    open_ties,
    prizes,
    unverified_at_deadline,
    unverified_team_days,
)
from thidua.awards.services import (
    StepError,
    advance,
    approve_scale,
    blocking,
    close_if_due,
    rule_tie,
    scale_approval_current,
)
from thidua.campaigns import clock
from thidua.campaigns.models import Campaign, Status
from thidua.intake.models import ReportStatus
from thidua.lib import vn
from thidua.units.models import Unit

STEP_FIELDS = ("unverified_confirmed", "proposal_number", "proposal_date", "decision_number", "decision_date",
               "decision_signer")


def _campaign_and_scope(request, code):
    campaign = get_object_or_404(Campaign, code=code)
    scope = scope_of(request.user, campaign)
    if scope is None:
        raise Http404("Không có đợt thi đua này.")
    return close_if_due(campaign), scope


def needs_text(step: lifecycle.Transition, campaign: Campaign) -> str:
    config = campaign.config
    return str(step.needs).format(grace=config.grace_days, appeal=config.appeal_days)


def lifecycle_panel(campaign: Campaign, role: str | None) -> dict:
    """Return what the campaign page shows of the lifecycle: the steps this role may take, with what they need,
    and what the steps so far recorded."""
    steps = [(t, needs_text(t, campaign), [] if t.back else blocking(campaign, t))
             for t in lifecycle.transitions_from(campaign.status) if lifecycle.may_take(role, t)]
    workflow = campaign.workflow or {}

    def day(key):
        value = workflow.get(key)
        return dt.date.fromisoformat(value) if value else None

    proposal, decision = workflow.get("proposal") or {}, workflow.get("decision") or {}
    return {
        "steps": steps,
        "unverified": (unverified_at_deadline(campaign) if campaign.status == Status.CLOSED and steps else None),
        "unverified_list": ([(code, name, d, ReportStatus(status).label) for code, name, d, status in
                             unverified_team_days(campaign)] if campaign.status == Status.CLOSED and steps else []),
        "scale_approved": workflow.get("scale_approved"),
        "scale_current": scale_approval_current(campaign),
        "may_approve_scale": role in (Role.COUNCIL, Role.ADMIN) and campaign.status in (
            Status.DRAFT, Status.RUNNING, Status.CLOSED),
        "published_on": day("published_on"), "appeals_until": day("appeals_until"),
        "proposal": {**proposal, "date": dt.date.fromisoformat(proposal["date"])} if proposal else None,
        "decision": {**decision, "date": dt.date.fromisoformat(decision["date"])} if decision else None,
        "snapshot": latest_snapshot(campaign),
        "ties": open_ties(campaign) if campaign.status in (Status.SCORED, Status.PUBLISHED) else [],
        "deadline_passed_by": campaign.config.grace_days,
    }


@login_required
@require_POST
def campaign_step(request, code):
    """Take one step of the lifecycle with its reason and fields; every problem said on the campaign page."""
    campaign, scope = _campaign_and_scope(request, code)
    target = request.POST.get("to", "")
    if target not in Status.values:
        return HttpResponseBadRequest("Bước không hợp lệ.")
    step = lifecycle.transition(campaign.status, target)
    if step is not None and not lifecycle.may_take(scope.role, step):
        return render(request, "403.html", {"exception": "Vai trò của bạn không thực hiện bước này."}, status=403)
    fields = {key: request.POST.get(key, "")[:200] for key in STEP_FIELDS if key in request.POST}
    try:
        campaign = advance(campaign=campaign, to=target, actor=request.user.get_username(), role=scope.role,
                           reason=request.POST.get("reason", ""), fields=fields)
    except StepError as exc:
        for problem in exc.problems:
            messages.error(request, problem)
        return redirect("campaign_detail", code=code)
    messages.success(request, f"Đợt thi đua chuyển sang «{campaign.get_status_display()}».")
    return redirect("campaign_detail", code=code)


@login_required
@require_POST
def scale_approve(request, code):
    """The council approves the scale of the campaign's settings, as they stand."""
    campaign, scope = _campaign_and_scope(request, code)
    if scope.role not in (Role.COUNCIL, Role.ADMIN):
        return render(request, "403.html", {"exception": "Chỉ Hội đồng TĐKT duyệt thang điểm."}, status=403)
    try:
        approve_scale(campaign=campaign, actor=request.user.get_username(), role=scope.role,
                      reason=request.POST.get("reason", ""))
    except StepError as exc:
        for problem in exc.problems:
            messages.error(request, problem)
    else:
        messages.success(request, "Đã ghi: Hội đồng TĐKT duyệt thang điểm.")
    return redirect("campaign_detail", code=code)


@login_required
def ties(request, code):
    """Ties at a prize rank: the council records the order of the tied competitors; the others see the rulings."""
    campaign, scope = _campaign_and_scope(request, code)
    snapshot = latest_snapshot(campaign)
    if snapshot is None:
        raise Http404("Đợt thi đua chưa chấm điểm.")
    may_rule = scope.role == Role.COUNCIL and campaign.status in (Status.SCORED, Status.PUBLISHED)
    if request.method == "POST":
        if not may_rule:
            return render(request, "403.html", {"exception": "Chỉ Hội đồng TĐKT phân xử đồng hạng."}, status=403)
        group = request.POST.get("group", "")[:40]
        try:
            prize_rank = int(request.POST.get("prize_rank", ""))
        except ValueError:
            return HttpResponseBadRequest("Hạng giải không hợp lệ.")
        order = [code_.strip()[:40] for code_ in request.POST.get("order", "").split(",") if code_.strip()]
        try:
            rule_tie(campaign=campaign, group=group, prize_rank=prize_rank, order=order,
                     actor=request.user.get_username(), role=scope.role, reason=request.POST.get("reason", ""))
        except StepError as exc:
            for problem in exc.problems:
                messages.error(request, problem)
        else:
            messages.success(request, "Đã ghi phán quyết của Hội đồng.")
        return redirect("ties", code=code)
    payload = snapshot.payload()
    names = {row["unit"]: row["name"] for g in payload["groups"] for row in g["standings"]}
    group_names = {g["code"]: g["name"] for g in payload["groups"]}
    waiting = [(group_names.get(g, g), g, p, [(u, names.get(u, u)) for u in units]) for g, p, units in
               open_ties(campaign)]
    rulings = [(group_names.get(r.group, r.group), r, [(u, names.get(u, u)) for u in r.order])
               for r in snapshot.rulings.all()]
    return render(request, "web/lifecycle/ties.html", {"campaign": campaign, "snapshot": snapshot, "waiting": waiting,
                                                        "rulings": rulings, "may_rule": may_rule})


@login_required
def rewards(request, code):
    """What each unit and each person receives, and the campaign's total, from the latest snapshot."""
    campaign, scope = _campaign_and_scope(request, code)
    snapshot = latest_snapshot(campaign)
    if snapshot is None:
        raise Http404("Đợt thi đua chưa chấm điểm: chưa có khen thưởng.")
    approved = campaign.status in (Status.DECIDED, Status.ARCHIVED, Status.PROPOSED)
    result = money(campaign, snapshot=snapshot, approved_only=approved)
    if not scope.whole_campaign:
        seen = set(Unit.objects.filter(campaign=campaign, id__in=scope.unit_ids).values_list("code", flat=True))
        collectives = [line for line in result.collectives if line.code in seen or line.nominator in seen]
        individuals = [line for line in result.individuals if line.nominator in seen]
    else:
        collectives, individuals = list(result.collectives), list(result.individuals)
    bonus = [p for p in prizes(campaign, snapshot) if p.bonus_points and not p.needs_decision]
    decision = (campaign.workflow or {}).get("decision")
    if decision:
        decision = {**decision, "date": dt.date.fromisoformat(decision["date"])}
    return render(request, "web/lifecycle/rewards.html", {
        "campaign": campaign, "snapshot": snapshot, "money": result, "collectives": collectives,
        "individuals": individuals, "approved": approved, "whole": scope.whole_campaign, "bonus": bonus,
        "decision": decision})


def end_tasks(campaign: Campaign, scope) -> list[tuple[str, str]]:
    """Return what waits for this role at the end of the campaign, each with the page where it is done."""
    from django.urls import reverse

    from thidua.awards.models import (
        Appeal,
        AppealStatus,
        DocumentKind,
        IssuedDocument,
        Nomination,
        NominationStatus,
    )

    role, status = scope.role, campaign.status
    page = reverse("campaign_detail", args=[campaign.code])
    tasks: list[tuple[str, str]] = []
    if role in (Role.COUNCIL, Role.ADMIN) and status in (Status.CLOSED,) and not scale_approval_current(campaign):
        tasks.append((_("Duyệt thang điểm để PC06 chấm điểm"), page))
    if status in (Status.SCORED, Status.PUBLISHED):
        waiting = len(open_ties(campaign))
        if waiting and role in (Role.COUNCIL, Role.PC06, Role.ADMIN):
            text = (_("Phân xử %(n)s trường hợp đồng hạng ở hạng có giải") if role == Role.COUNCIL else
                    _("%(n)s trường hợp đồng hạng ở hạng có giải chờ Hội đồng phân xử"))
            tasks.append((text % {"n": vn.number(waiting)}, reverse("ties", args=[campaign.code])))
    nominations = Nomination.objects.filter(campaign=campaign)
    page_of_nominations = reverse("nominations", args=[campaign.code])
    if role == Role.COUNCIL:
        n = nominations.filter(status=NominationStatus.ACCEPTED).count()
        if n:
            tasks.append((_("Duyệt %(n)s đề nghị khen thưởng PC06 đã thẩm định") % {"n": vn.number(n)},
                          page_of_nominations))
    if role == Role.PC06:
        n = nominations.filter(status=NominationStatus.PROPOSED).count()
        if n:
            tasks.append((_("Thẩm định %(n)s đề nghị khen thưởng của các đơn vị") % {"n": vn.number(n)},
                          page_of_nominations))
        n = Appeal.objects.filter(campaign=campaign, status=AppealStatus.FILED).count()
        if n:
            tasks.append((_("Giải quyết %(n)s khiếu nại") % {"n": vn.number(n)},
                          reverse("appeal_list", args=[campaign.code])))
    if status == Status.PROPOSED and role in (Role.COUNCIL, Role.ADMIN):
        tasks.append((_("Ghi quyết định khen thưởng (số, ngày, người ký)"), page))
    for step in lifecycle.transitions_from(status):
        if not step.back and lifecycle.may_take(role, step) and step.target != Status.DECIDED:
            waiting = len(blocking(campaign, step))
            tasks.append(((_("Bước tiếp theo: %(step)s") % {"step": step.label}) if not waiting else
                          (_("Bước tiếp theo: %(step)s — còn %(n)s điều kiện chưa đạt") % {
                              "step": step.label, "n": vn.number(waiting)}), page))
    if status == Status.PUBLISHED and role in (Role.DISTRICT, Role.TEAM):
        until = (campaign.workflow or {}).get("appeals_until")
        tasks.append((_("Xem kết quả sơ bộ đã công bố"), reverse("standings", args=[campaign.code])))
        if until and clock.today() <= dt.date.fromisoformat(until):
            tasks.append((_("Kết quả sơ bộ đã công bố: khiếu nại đến hết ngày %(day)s") % {
                "day": vn.date(dt.date.fromisoformat(until))}, reverse("appeal_list", args=[campaign.code])))
    if status in (Status.DECIDED, Status.ARCHIVED) and role == Role.PC06:
        issued = set(IssuedDocument.objects.filter(campaign=campaign).values_list("kind", flat=True))
        if DocumentKind.DECISION not in issued or DocumentKind.CERTIFICATES not in issued:
            tasks.append((_("Ban hành Quyết định và in Bằng khen (vào sổ văn bản)"),
                          reverse("documents", args=[campaign.code])))
    if status in (Status.SCORED, Status.PUBLISHED, Status.PROPOSED, Status.DECIDED, Status.ARCHIVED):
        tasks.append((_("Khen thưởng và tiền thưởng"), reverse("rewards", args=[campaign.code])))
    return tasks
