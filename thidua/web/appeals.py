"""The appeals of a published campaign (list, filing, one appeal with its decision and evidence) and the frozen
snapshots of its results (every version, its JSON as stored, the change in ranks between consecutive ones).

Who sees and does what is thidua.awards.appeals's rule; these views only ask it.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from thidua.audit.labels import people
from thidua.awards import appeals as service
from thidua.awards import evidence as files
from thidua.awards.models import Appeal, AppealKind, AppealStatus, Evidence, Snapshot
from thidua.awards.services import StepError
from thidua.campaigns.models import Status
from thidua.intake.models import Assignment
from thidua.lib import vn

from .views import _campaign_and_scope

PUBLISHED_ON = (Status.PUBLISHED, Status.PROPOSED, Status.DECIDED, Status.ARCHIVED)
SCORED_ON = (Status.SCORED, *PUBLISHED_ON)


def _appeals_scope(request, code):
    """Return (campaign, scope) for the appeal pages: a published (or later) campaign, a role that takes part."""
    campaign, scope = _campaign_and_scope(request, code)
    if campaign.status not in PUBLISHED_ON:
        raise Http404("Kết quả chưa công bố: chưa có khiếu nại.")
    if scope.role not in service.SEE_ALL_ROLES | service.FILE_ROLES:
        raise PermissionDenied("Vai trò của bạn không xem khiếu nại.")
    return campaign, scope


def _appeal(campaign, scope, number) -> Appeal:
    appeal = get_object_or_404(Appeal.objects.select_related("unit", "team", "machine", "commune", "snapshot_before",
                                                             "snapshot_after"), campaign=campaign, number=number)
    if not service.may_see(scope, appeal):
        raise Http404("Không có khiếu nại này.")
    return appeal


@login_required
def appeal_list(request, code):
    """List the appeals the user sees, with the window and, for a district or a team, the way to file one."""
    campaign, scope = _appeals_scope(request, code)
    appeals = list(service.visible(campaign, scope))
    return render(request, "web/appeals/list.html", {
        "campaign": campaign, "tab": "appeals", "appeals": appeals, "until": service.appeals_until(campaign),
        "window_open": service.window_open(campaign), "may_file": service.may_file(scope),
        "open_count": sum(a.status == AppealStatus.FILED for a in appeals)})


def _form_context(campaign, scope, values: dict, problems: list[str]) -> dict:
    teams = service.filing_teams(campaign, scope)
    try:  # the date field shows a date; a text that is none is quoted in the problems instead
        values = {**values, "ngay": vn.parse_date(values.get("ngay") or "")}
    except ValueError:
        values = {**values, "ngay": None}
    machines = (Assignment.objects.filter(team__in=teams).select_related("machine", "team")
                .order_by("machine__code", "start"))
    return {"campaign": campaign, "tab": "appeals", "teams": teams, "machines": machines, "values": values,
            "problems": problems, "kinds": AppealKind.choices, "until": service.appeals_until(campaign),
            "reason_max": service.APPEAL_REASON_MAX, "rule_max": service.RULE_MAX,
            "max_files": settings.THIDUA_EVIDENCE_MAX_FILES,
            "max_mb": settings.THIDUA_EVIDENCE_MAX_BYTES // (1024 * 1024)}


FIELDS = ("loai", "to", "ngay", "may", "xa", "so_mong_muon", "cach_tinh", "ly_do")


@login_required
def appeal_file(request, code):
    """Show the form of a new appeal and file it: every problem listed in Vietnamese, nothing written."""
    campaign, scope = _appeals_scope(request, code)
    if not service.may_file(scope):
        raise PermissionDenied(service.NOT_FILER)
    if not service.window_open(campaign):
        messages.error(request, service.WINDOW_CLOSED.format(until=vn.date(service.appeals_until(campaign)))
                       if campaign.status == Status.PUBLISHED else service.WINDOW_NOT_OPEN)
        return redirect("appeal_list", campaign.code)
    values = {name: request.POST.get(name, "") for name in FIELDS} if request.method == "POST" else {
        "loai": AppealKind.DAY}
    if request.method != "POST":
        return render(request, "web/appeals/file.html", _form_context(campaign, scope, values, []))
    try:
        appeal = service.file_appeal(
            campaign=campaign, user=request.user, kind=values["loai"], team=values["to"], day=values["ngay"],
            machine=values["may"], commune=values["xa"], expected=values["so_mong_muon"], rule=values["cach_tinh"],
            reason=values["ly_do"], files=request.FILES.getlist("tep"))
    except StepError as exc:
        return render(request, "web/appeals/file.html", _form_context(campaign, scope, values, exc.problems),
                      status=400)
    messages.success(request, _("Đã gửi khiếu nại số {number}: PC06 sẽ xem xét và trả lời.").format(
        number=appeal.number))
    return redirect("appeal_detail", campaign.code, appeal.number)


def _detail(request, campaign, scope, appeal, problems=(), values=None, status=200):
    return render(request, "web/appeals/detail.html", {
        "campaign": campaign, "tab": "appeals", "appeal": appeal, "evidence": list(appeal.evidence.all()),
        "may_decide": (service.may_decide(scope.role) and appeal.status == AppealStatus.FILED
                       and campaign.status == Status.PUBLISHED),
        "changes": service.appeal_changes(appeal), "rule_note": service.RULE_NOTE, "problems": problems,
        "values": values or {}, "decision_max": service.DECISION_MAX,
        "people": people([appeal.filed_by, appeal.decided_by])}, status=status)


@login_required
def appeal_detail(request, code, number):
    """Show one appeal: what it asks, its evidence, PC06's decision (or the form for it), the change in ranks."""
    campaign, scope = _appeals_scope(request, code)
    return _detail(request, campaign, scope, _appeal(campaign, scope, number))


@login_required
@require_POST
def appeal_decide(request, code, number):
    """Accept or reject an appeal (PC06), with a reason."""
    campaign, scope = _appeals_scope(request, code)
    appeal = _appeal(campaign, scope, number)
    if not service.may_decide(scope.role):
        raise PermissionDenied(service.ONLY_PC06)
    verdict = request.POST.get("quyet_dinh", "")
    values = {"quyet_dinh": verdict, "ly_do": request.POST.get("ly_do", "")}
    if verdict not in ("chap_nhan", "khong_chap_nhan"):
        return _detail(request, campaign, scope, appeal, [_("Cần chọn chấp nhận hay không chấp nhận.")], values, 400)
    try:
        decision = service.decide_appeal(appeal=appeal, actor=request.user.get_username(), role=scope.role,
                                         accept=verdict == "chap_nhan", reason=values["ly_do"])
    except StepError as exc:
        appeal.refresh_from_db()
        return _detail(request, campaign, scope, appeal, exc.problems, values, 400)
    messages.success(request, decision.note)
    return redirect("appeal_detail", campaign.code, appeal.number)


def _attachment(data: bytes, content_type: str, name: str) -> HttpResponse:
    """Return a file to download, never to open in the page: attachment, its type as found, no sniffing."""
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def appeal_evidence(request, code, number, pk):
    """Send an evidence file of an appeal, to those who see the appeal, checked against its SHA-256."""
    campaign, scope = _appeals_scope(request, code)
    appeal = _appeal(campaign, scope, number)
    item = get_object_or_404(Evidence, pk=pk, appeal=appeal)
    try:
        data = files.read(item)
    except StepError as exc:
        return render(request, "400.html", {"message": " ".join(exc.problems)}, status=409)
    return _attachment(data, item.content_type, item.name)


def _snapshots_scope(request, code):
    """Return (campaign, scope) for the snapshot pages: from «scored» on; every role once the results are
    published, before that only those who score and review them."""
    campaign, scope = _campaign_and_scope(request, code)
    if campaign.status not in SCORED_ON:
        raise Http404("Chưa chấm điểm: chưa có bản chốt kết quả.")
    if campaign.status not in PUBLISHED_ON and scope.role not in service.SEE_ALL_ROLES:
        raise PermissionDenied("Kết quả chưa công bố.")
    return campaign, scope


@login_required
def snapshot_list(request, code):
    """List every frozen version of the results: when, who, why, SHA-256, the appeal it took in, its download,
    and the change in ranks from the version before."""
    campaign, scope = _snapshots_scope(request, code)
    history = service.snapshot_history(campaign)
    visible = {a.pk for a in service.visible(campaign, scope)} if campaign.status in PUBLISHED_ON else set()
    return render(request, "web/appeals/snapshots.html", {
        "campaign": campaign, "tab": "snapshots", "history": list(reversed(history)), "visible_appeals": visible,
        "people": people(s.created_by for s, _ in history)})


@login_required
def snapshot_json(request, code, version):
    """Send a snapshot's JSON exactly as stored (the bytes its SHA-256 was computed over)."""
    campaign, _ = _snapshots_scope(request, code)
    snapshot = get_object_or_404(Snapshot, campaign=campaign, version=version)
    response = _attachment(snapshot.data.encode("utf-8"), "application/json; charset=utf-8",
                           f"{campaign.code}-ket-qua-chot-v{snapshot.version}.json")
    response["Content-Security-Policy"] = "default-src 'none'"
    return response
