"""The nominations pages (đề nghị khen thưởng): the quotas and the nominations in the user's scope, the form to
nominate within one's own quota (the officers with the standards the data shows), PC06's review, the council's
approval, the proposer's withdrawal, a CSV file of nominations; one nomination's page with its history and evidence.

Every write goes through thidua.awards.nominations, as the API's do: the same quotas, rules and messages.
"""

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from thidua.accounts.models import Role
from thidua.audit.models import Change, Source
from thidua.awards import evidence as files
from thidua.awards import nominations as service
from thidua.awards.models import (
    ACTIVE_NOMINATION,
    Evidence,
    Nomination,
    NominationKind,
    NominationLevel,
    NominationStatus,
)
from thidua.awards.services import StepError
from thidua.units.models import Officer, Unit
from thidua.units.selectors import subtree_ids

from .views import _campaign_and_scope

FIELD_MAX = 40  # codes sent by the form


def nominations_in_scope(campaign, scope):
    """Return the nominations a scope may read: every one for campaign-wide roles, else those its units made."""
    found = Nomination.objects.filter(campaign=campaign).select_related("nominating_unit", "officer", "unit")
    return found if scope.whole_campaign else found.filter(nominating_unit_id__in=scope.unit_ids)


def _page_scope(request, code):
    campaign, scope = _campaign_and_scope(request, code)
    if scope.role == Role.TEAM:
        raise PermissionDenied(service.TEAM_CANNOT)
    return campaign, scope


def _visible(scope, quota) -> bool:
    return scope.sees(quota.unit.id)


def _actions(actor, nomination) -> list[str]:
    """Return what the actor may do with a nomination now: review, approve, withdraw."""
    found = []
    if nomination.status == NominationStatus.PROPOSED and actor.role == Role.PC06:
        found.append("review")
    if nomination.status == NominationStatus.ACCEPTED and actor.role == Role.COUNCIL:
        found.append("approve")
    if nomination.status in (NominationStatus.PROPOSED, NominationStatus.ACCEPTED) and service.may_withdraw(
            actor, nomination):
        found.append("withdraw")
    return found


def _context(request, campaign, scope, **extra) -> dict:
    actor = service.actor_of(request.user)
    open_now = campaign.status in service.OPEN_STATUSES
    used = service.places_used(campaign)
    nominated = set(Nomination.objects.filter(campaign=campaign, officer__isnull=False,
                                              status__in=ACTIVE_NOMINATION).values_list("officer_id", flat=True))
    shown = []
    for quota in service.quotas(campaign):
        if not _visible(scope, quota):
            continue
        mine = open_now and not quota.waiting and service.may_nominate(actor, quota) is None
        entry = {"quota": quota, "used": used.get(quota.key, 0), "mine": mine}
        entry["free"] = max(quota.size - entry["used"], 0)
        if mine and quota.kind == NominationKind.INDIVIDUAL:
            entry["officers"] = [(s, s.officer.id in nominated) for s in service.eligible_officers(campaign, quota)]
            entry["failing"] = sum(not s.ok for s, _ in entry["officers"])
        elif mine:
            taken = set(Nomination.objects.filter(campaign=campaign, unit__isnull=False,
                                                  status__in=ACTIVE_NOMINATION)
                        .values_list("unit_id", flat=True))
            entry["units"] = [u for u in Unit.objects.filter(campaign=campaign).order_by("code") if u.id not in taken]
        shown.append(entry)
    rows = [(n, _actions(actor, n)) for n in nominations_in_scope(campaign, scope)]
    return {"campaign": campaign, "scope": scope, "open_now": open_now, "quotas": shown,
            "mine": [q for q in shown if q["mine"]], "rows": rows, "reason_max": 1000,
            "achievements_max": service.ACHIEVEMENTS_MAX, "csv_columns": service.CSV_COLUMNS,
            "may_upload": any(q["mine"] for q in shown), **extra}


@login_required
def nominations_page(request, code):
    """Show the quotas, the nominations and what the user may do with them."""
    campaign, scope = _page_scope(request, code)
    return render(request, "web/nominations/list.html", _context(request, campaign, scope))


def _refused(request, campaign, scope, exc: service.NominationError, **extra):
    if exc.forbidden:
        raise PermissionDenied(" ".join(exc.problems))
    return render(request, "web/nominations/list.html",
                  _context(request, campaign, scope, problems=exc.problems, **extra), status=400)


def _code(request, name: str) -> str:
    return request.POST.get(name, "").strip()[:FIELD_MAX + 1]


@login_required
@require_POST
def nomination_create(request, code):
    """Nominate an officer (or a unit) within a quota of one's own."""
    campaign, scope = _page_scope(request, code)
    actor = service.actor_of(request.user)
    achievements = request.POST.get("thanh_tich", "")
    sent = {"sent_quota": request.POST.get("suat", "").strip()[:100],
            "sent_achievements": achievements[:service.ACHIEVEMENTS_MAX + 10],
            "sent_officer": _code(request, "ma_can_bo"), "sent_unit": _code(request, "ma_don_vi")}
    try:
        level, kind, unit_code = [*sent["sent_quota"].split(":"), "", "", ""][:3]
        nominating = Unit.objects.filter(campaign=campaign, code=unit_code).first()
        if nominating is None or not scope.sees(nominating.id):
            raise service.NominationError(service.NO_RIGHT, forbidden=True)
        officer = collective = None
        if kind == NominationKind.INDIVIDUAL:
            officer = Officer.objects.filter(campaign=campaign, code=_code(request, "ma_can_bo")).first()
            if officer is None:
                raise service.NominationError("Chọn cán bộ được đề nghị.")
        else:
            collective = Unit.objects.filter(campaign=campaign, code=_code(request, "ma_don_vi")).first()
            if collective is None:
                raise service.NominationError("Chọn đơn vị được đề nghị.")
        nomination = service.nomination_propose(
            campaign=campaign, actor=actor, level=level, kind=kind, nominating_unit=nominating, officer=officer,
            collective=collective, achievements=achievements, files=request.FILES.getlist("tep"), source=Source.WEB)
    except service.NominationError as exc:
        return _refused(request, campaign, scope, exc, **sent)
    messages.success(request, f"Đã đề nghị khen thưởng (số {nomination.pk}, suất thứ {nomination.place}).")
    return redirect("nomination_detail", code=campaign.code, pk=nomination.pk)


def _nomination(request, campaign, scope, pk) -> Nomination:
    nomination = get_object_or_404(nominations_in_scope(campaign, scope), pk=pk)
    return nomination


ACTIONS = {
    "tham-dinh": ("review", True), "tra-lai": ("review", False),
    "duyet": ("approve", True), "hoi-dong-tra-lai": ("approve", False),
    "rut": ("withdraw", None),
    "them-tep": ("evidence", None),
}


@login_required
@require_POST
def nomination_act(request, code, pk, action):
    """Take one step of a nomination: PC06 accepts or returns, the council approves or returns, the proposer
    withdraws."""
    campaign, scope = _page_scope(request, code)
    nomination = _nomination(request, campaign, scope, pk)
    if action not in ACTIONS:
        raise Http404("Không có thao tác này.")
    step, yes = ACTIONS[action]
    actor = service.actor_of(request.user)
    reason = request.POST.get("ly_do", "")
    try:
        if step == "review":
            service.nomination_review(nomination=nomination, actor=actor, accept=yes, reason=reason,
                                      source=Source.WEB)
        elif step == "approve":
            service.nomination_approve(nomination=nomination, actor=actor, approve=yes, reason=reason,
                                       source=Source.WEB)
        elif step == "evidence":
            service.nomination_add_evidence(nomination=nomination, actor=actor, files=request.FILES.getlist("tep"),
                                            source=Source.WEB)
        else:
            service.nomination_withdraw(nomination=nomination, actor=actor, reason=reason, source=Source.WEB)
    except service.NominationError as exc:
        if exc.forbidden:
            raise PermissionDenied(" ".join(exc.problems)) from None
        return render(request, "web/nominations/detail.html",
                      _detail_context(request, campaign, scope, nomination, problems=exc.problems), status=400)
    nomination.refresh_from_db()
    messages.success(request, f"Đề nghị số {nomination.pk}: {nomination.get_status_display()}.")
    return redirect("nomination_detail", code=campaign.code, pk=nomination.pk)


def _detail_context(request, campaign, scope, nomination, **extra) -> dict:
    files_of = f"{campaign.code}/de_nghi#{nomination.pk}/"
    history = (Change.objects.filter(Q(entity=service.ENTITY, key=str(nomination.pk))
                                     | Q(entity="bang_chung", key__startswith=files_of), changeset__campaign=campaign)
               .select_related("changeset").order_by("changeset__at", "id"))
    actor = service.actor_of(request.user)
    standards = None
    if nomination.officer_id:
        district = nomination.level == NominationLevel.DISTRICT
        ids = subtree_ids(campaign, nomination.nominating_unit_id) if district else None
        standards = service.standards(campaign, ids, officers=[nomination.officer])[0]
    labels = dict(NominationStatus.choices)
    history = [(c, labels.get((c.before or {}).get("status")),
                labels.get((c.after or {}).get("status")) if c.entity == service.ENTITY
                else _("Tệp minh chứng «%(name)s»") % {"name": (c.after or {}).get("ten_tep", "")})
               for c in history]
    adds_files = (campaign.status in service.OPEN_STATUSES and service.may_withdraw(actor, nomination)
                  and nomination.status in (NominationStatus.PROPOSED, NominationStatus.ACCEPTED))
    return {"campaign": campaign, "scope": scope, "n": nomination, "history": history, "adds_files": adds_files,
            "evidence": Evidence.objects.filter(nomination=nomination), "standards": standards,
            "actions": _actions(actor, nomination) if campaign.status in service.OPEN_STATUSES else [], **extra}


@login_required
def nomination_detail(request, code, pk):
    """Show one nomination: whom, by whom, the standards, the achievements, the evidence and every step."""
    campaign, scope = _page_scope(request, code)
    nomination = _nomination(request, campaign, scope, pk)
    return render(request, "web/nominations/detail.html", _detail_context(request, campaign, scope, nomination))


@login_required
def nomination_evidence(request, code, pk, evidence):
    """Send an evidence file to whoever may read its nomination (never from the web root)."""
    campaign, scope = _page_scope(request, code)
    nomination = _nomination(request, campaign, scope, pk)
    found = get_object_or_404(Evidence, nomination=nomination, pk=evidence)
    try:
        data = files.read(found)
    except StepError as exc:
        raise Http404(" ".join(exc.problems)) from None
    response = FileResponse(io.BytesIO(data), as_attachment=True, filename=found.name,
                            content_type=found.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def nominations_upload(request, code):
    """Propose every row of a CSV file of nominations: all rows or none, every bad row named."""
    campaign, scope = _page_scope(request, code)
    actor = service.actor_of(request.user)
    upload = request.FILES.get("tep_csv")
    try:
        if upload is None:
            raise service.NominationError("Chọn tệp CSV đề nghị khen thưởng.")
        if upload.size > service.CSV_MAX_BYTES:
            raise service.NominationError(f"Tệp lớn quá {service.CSV_MAX_BYTES // 1000} KB.")
        if campaign.status not in service.OPEN_STATUSES:
            raise service.NominationError(service.NOT_OPEN.format(status=campaign.get_status_display()))
        report = service.nominations_import(campaign=campaign, data=upload.read(), file_name=upload.name or "",
                                            actor=actor, source=Source.IMPORT)
    except service.NominationError as exc:
        return _refused(request, campaign, scope, exc)
    if not report.ok:
        return render(request, "web/nominations/list.html",
                      _context(request, campaign, scope, row_errors=report.errors), status=400)
    messages.success(request, f"Đã nhập {len(report.created)} đề nghị từ tệp.")
    return redirect(reverse("nominations", kwargs={"code": campaign.code}))
