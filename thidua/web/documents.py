"""The documents of a campaign (docs/documents.md): the current draft of each, made on the fly from the latest
snapshot; issuing one into the register with a reason; the register and the stored file of every issued version.

Who: PC06, the council (Hội đồng TĐKT) and Quản trị — the offices that propose, decide and print. The districts,
teams and read-only users get none of it (403): their unit's standings, every point explained, are on the standings
page and its workbook; the proposals and the lists of people belong to the offices until the decision is issued.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from thidua.accounts.scopes import DOCUMENT_ROLES, role_of
from thidua.audit.labels import people
from thidua.audit.models import REASON_MAX
from thidua.awards.models import IssuedDocument
from thidua.documents.catalog import KINDS, frozen_snapshot
from thidua.documents.catalog import render as render_document
from thidua.documents.facts import DocumentError
from thidua.documents.services import ISSUED_FROM, issue, issued_bytes

from .views import _campaign_and_scope


def _campaign(request, code):
    campaign, _scope = _campaign_and_scope(request, code)
    if role_of(request.user) not in DOCUMENT_ROLES:
        raise PermissionDenied("Chỉ PC06, Hội đồng TĐKT và Quản trị lập, ban hành văn bản.")
    return campaign


def _attachment(data: bytes, name: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


@login_required
def documents(request, code):
    """Show the drafts to download, the form to issue one, and the register of the issued versions."""
    campaign = _campaign(request, code)
    try:
        snapshot, problem = frozen_snapshot(campaign), None
    except DocumentError as exc:
        snapshot, problem = None, str(exc)
    register = list(IssuedDocument.objects.filter(campaign=campaign).select_related("snapshot")
                    .order_by("kind", "-version"))
    return render(request, "web/documents/documents.html", {
        "campaign": campaign, "tab": "documents", "snapshot": snapshot, "problem": problem,
        "kinds": list(KINDS.values()), "register": register,
        "issuable": [k for k in KINDS.values()
                     if k.code not in ISSUED_FROM or campaign.status in ISSUED_FROM[k.code][0]],
        "names": people({d.issued_by for d in register}), "reason_max": REASON_MAX,
    })


@login_required
def document_draft(request, code, kind):
    """Download the current draft of a document, made now from the latest snapshot (the command's same bytes)."""
    campaign = _campaign(request, code)
    if kind not in KINDS:
        raise Http404("Không có loại văn bản này.")
    try:
        data = render_document(campaign, kind)
    except ModuleNotFoundError as exc:
        raise Http404("Phần mềm chưa có bộ tạo tệp này.") from exc
    except DocumentError as exc:
        messages.error(request, str(exc))
        return redirect("documents", code=campaign.code)
    spec = KINDS[kind]
    return _attachment(data, spec.file_name, spec.content_type)


@login_required
@require_POST
def document_issue(request, code):
    """Issue a document: store the file as the kind's next version and register it, with the reason given."""
    campaign = _campaign(request, code)
    kind = request.POST.get("kind", "")
    try:
        document = issue(campaign, kind, request.user.username, request.POST.get("reason", ""))
    except ModuleNotFoundError:
        messages.error(request, _("Phần mềm chưa có bộ tạo tệp này: chưa ban hành được."))
    except DocumentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Đã ban hành «%(kind)s», phiên bản %(version)s (%(file)s).") % {
            "kind": document.get_kind_display(), "version": document.version, "file": document.file_name})
    return redirect("documents", code=campaign.code)


@login_required
def document_issued(request, code, pk):
    """Download an issued version: the bytes stored when it was issued, checked against their SHA-256."""
    campaign = _campaign(request, code)
    document = get_object_or_404(IssuedDocument, campaign=campaign, pk=pk)
    try:
        data = issued_bytes(document)
    except DocumentError as exc:
        messages.error(request, str(exc))
        return redirect("documents", code=campaign.code)
    return _attachment(data, document.file_name, KINDS[document.kind].content_type)
