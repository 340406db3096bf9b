"""The user management pages (Quản trị and superusers only) and every user's own password change.

Passwords given by the system are shown once, in the response to the action that made them, never stored in
clear and never cached by the browser (no-store).
"""

import base64
from functools import wraps

from django.contrib import messages
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_http_methods

from thidua.audit.labels import describe
from thidua.audit.models import Source
from thidua.campaigns.models import Campaign
from thidua.lib import vn
from thidua.lib.sheets import csv_bytes

from .forms import (
    OwnPasswordChangeForm,
    PasswordResetForm,
    UserCreateForm,
    UserEditForm,
    UserFilterForm,
    UsersConfirmForm,
    UsersPreviewForm,
    UsersUploadForm,
)
from .importing import COLUMNS
from .models import Profile
from .scopes import user_admin_of
from .selectors import describe_updates, user_history, users_managed
from .services import (
    AccountError,
    one_time_password,
    user_create,
    user_password_change,
    user_password_reset,
    user_update,
    users_import,
)

PAGE_SIZE = 50
CONFIRM_SALT = "thidua.accounts.users_import"
CONFIRM_MAX_AGE = 3600  # seconds between the preview and the confirmation
STALE_PREVIEW = "Phiên xem trước đã hết hạn hoặc không hợp lệ: hãy tải tệp lên và xem trước lại."
CHANGED_FILE = "Tệp gửi lên khi xác nhận khác với tệp đã xem trước: không nhập gì. Hãy tải tệp lên và xem trước lại."
CHANGED_OPTIONS = ("Khi xác nhận, {options} khác với lúc xem trước: không nhập gì. Hãy xem trước lại rồi xác nhận "
                   "đúng những gì đã xem.")
OPTION_LABELS = {"campaign": "đợt thi đua", "file": "tên tệp", "reason": "lý do"}


def user_admin_required(view):
    """Let only a Quản trị (or a superuser) in; the view receives what they manage (scopes.UserAdmin)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        admin = user_admin_of(request.user)
        if admin is None:
            return render(request, "accounts/forbidden.html", status=403)
        return view(request, admin, *args, **kwargs)

    return wrapper


def _target(admin, pk: int):
    user = get_object_or_404(get_user_model().objects.select_related("profile__unit__campaign"), pk=pk)
    if not admin.manages(user):
        raise Http404("Người dùng này không thuộc phạm vi quản lý của bạn.")
    return user


def _no_store(response):
    patch_cache_control(response, no_store=True, private=True)
    return response


def _passwords_link(rows: list[tuple[str, str, str]]) -> str:
    """Return the one-time passwords as a CSV file in a data: link, so that it downloads from this very page."""
    data = base64.b64encode(csv_bytes(("ten_dang_nhap", "ho_ten", "mat_khau_dung_mot_lan"), rows)).decode()
    return f"data:text/csv;charset=utf-8;base64,{data}"


def _show_passwords(request, title: str, rows, status=200):
    return _no_store(render(request, "accounts/passwords.html", {"title": title, "rows": rows,
                                                                "href": _passwords_link(rows)}, status=status))


@user_admin_required
def user_list(request, admin):
    """List the users the administrator manages: filter by role, unit, state; search by name; 50 a page."""
    units = list(admin.units())
    form = UserFilterForm(request.GET, admin=admin, units=units)
    users = users_managed(admin, **form.filters())
    page = Paginator(users, PAGE_SIZE).get_page(request.GET.get("trang"))
    query = request.GET.copy()
    query.pop("trang", None)
    return render(request, "accounts/user_list.html", {"form": form, "page": page, "query": query.urlencode()})


@user_admin_required
def user_create_page(request, admin):
    """Create a user with a role and a unit; show their one-time password once."""
    form = UserCreateForm(request.POST or None, admin=admin, units=admin.units())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        password = one_time_password()
        try:
            user_create(username=data["username"], password=password, role=data["role"], unit=data["unit"],
                        full_name=data["full_name"], actor=request.user.get_username(), source=Source.WEB,
                        reason=data["reason"], must_change_password=True)
        except AccountError as exc:
            form.add_error(None, str(exc))
        else:
            return _show_passwords(request, f"Đã tạo người dùng «{data['username']}»",
                                   [(data["username"], data["full_name"], password)])
    return render(request, "accounts/user_form.html", {"form": form, "creating": True},
                  status=400 if form.errors else 200)


@user_admin_required
def user_edit(request, admin, pk):
    """Change a user's name, role, unit and whether the account is active (a reason for role and unit)."""
    target = _target(admin, pk)
    form = UserEditForm(request.POST or None, admin=admin, units=admin.units(), target=target,
                        actor=request.user.get_username())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            changed = user_update(user=target, full_name=data["full_name"], role=data["role"], unit=data["unit"],
                                  active=data["active"], actor=request.user.get_username(), reason=data["reason"])
        except AccountError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Đã lưu «{target.username}»." if changed
                             else f"Không có gì thay đổi ở «{target.username}».")
            return redirect(reverse("user_list"))
    return render(request, "accounts/user_form.html", {"form": form, "target": target},
                  status=400 if form.errors else 200)


@user_admin_required
def user_reset_password(request, admin, pk):
    """Ask for a confirmation, then give the user a new one-time password, shown once."""
    target = _target(admin, pk)
    form = PasswordResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            password = user_password_reset(user=target, actor=request.user.get_username(),
                                           reason=form.cleaned_data["reason"])
        except AccountError as exc:
            form.add_error("reason", str(exc))
        else:
            return _show_passwords(request, f"Đã đặt lại mật khẩu của «{target.username}»",
                                   [(target.username, target.first_name, password)])
    return render(request, "accounts/password_reset.html", {"form": form, "target": target},
                  status=400 if form.errors else 200)


@user_admin_required
def user_history_page(request, admin, pk):
    """Show the audited acts about one user, newest first."""
    target = _target(admin, pk)
    page = Paginator(user_history(target.username), PAGE_SIZE).get_page(request.GET.get("trang"))
    return render(request, "accounts/user_history.html", {"target": target, "page": page,
                                                          "entries": describe(page)})


def _import_campaigns(admin):
    campaigns = Campaign.objects.order_by("code")
    return campaigns if admin.campaign_id is None else campaigns.filter(pk=admin.campaign_id)


def _plan(request, admin, campaign, data: bytes, file_name: str):
    return users_import(campaign=campaign, data=data, file_name=file_name, actor=request.user.get_username(),
                        manager=admin, dry_run=True)


def _preview(request, admin, campaign, data: bytes, file_name: str, *, reason: str = "", error: str = "",
             status: int | None = None, report=None):
    """Show what confirming the file would do, without changing anything.

    Only a preview that can be confirmed as it stands (no error, something to do, the reason given when one is due)
    carries a confirmation: a token signing the file's SHA-256, the plan and every option the confirmation applies
    (campaign, file name, reason). A reason that is due is asked here, before anything is signed.
    """
    report = report or _plan(request, admin, campaign, data, file_name)
    encoded = base64.b64encode(data).decode()
    fields = {"noi_dung": encoded, "ten_tep": file_name, "dot": campaign.pk, "ly_do": reason}
    campaigns = _import_campaigns(admin)
    confirm_form = reason_form = None
    if report.ok and (report.creates or report.updates):
        if report.needs_reason or reason:
            reason_form = UsersPreviewForm(initial=fields, campaigns=campaigns, auto_id="lai_%s")
        if reason.strip() or not report.needs_reason:
            token = signing.dumps({"sha256": report.sha256, "plan": report.fingerprint, "by": request.user.pk,
                                   "campaign": campaign.pk, "file": file_name, "reason": reason}, salt=CONFIRM_SALT)
            confirm_form = UsersConfirmForm(initial={**fields, "ma": token}, campaigns=campaigns)
    updates = describe_updates(report.updates, campaign)
    return render(request, "accounts/users_import.html", {
        "campaign": campaign, "report": report, "updates": updates, "confirm_form": confirm_form,
        "reason_form": reason_form, "reason": reason, "error": error,
        "form": UsersUploadForm(campaigns=campaigns, initial={"campaign": campaign}),
        "single_campaign": campaigns.count() == 1,
    }, status=status or (400 if report.errors else 200))


def _refused(request, message: str):
    return render(request, "accounts/users_import.html", {"error": message}, status=400)


@user_admin_required
@require_http_methods(["GET", "POST"])
def users_import_page(request, admin):
    """Upload a CSV of users → preview what it creates and changes, and every error → confirm; all or nothing."""
    campaigns = _import_campaigns(admin)
    if request.method == "POST" and "ma" in request.POST:
        return _confirm(request, admin, campaigns)
    if request.method == "POST" and "noi_dung" in request.POST:
        return _preview_again(request, admin, campaigns)
    form = UsersUploadForm(request.POST or None, request.FILES or None, campaigns=campaigns,
                           initial={"campaign": campaigns.first()})
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["tep"]
        return _preview(request, admin, form.cleaned_data["campaign"], upload.read(), upload.name,
                        reason=form.cleaned_data["ly_do"].strip())
    return render(request, "accounts/users_import.html", {"form": form,
                                                          "single_campaign": campaigns.count() == 1,
                                                          "campaign": campaigns.first()},
                  status=400 if form.errors else 200)


def _previewed(form):
    """Return (campaign, file bytes, file name, reason) of a valid form that carries a previewed file, or None."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    return data["dot"], data["noi_dung"], data["ten_tep"], data["ly_do"].strip()


def _preview_again(request, admin, campaigns):
    """Preview the same file again with the reason typed on the preview (the confirmation will carry it)."""
    previewed = _previewed(UsersPreviewForm(request.POST, campaigns=campaigns))
    if previewed is None:
        return _refused(request, STALE_PREVIEW)
    campaign, data, file_name, reason = previewed
    return _preview(request, admin, campaign, data, file_name, reason=reason)


def _confirm(request, admin, campaigns):
    """Apply the previewed file if the file, the plan and every option are those the token signed; else nothing."""
    previewed = _previewed(UsersConfirmForm(request.POST, campaigns=campaigns))
    if previewed is None:
        return _refused(request, STALE_PREVIEW)
    campaign, data, file_name, reason = previewed
    report = _plan(request, admin, campaign, data, file_name)
    if report.errors:
        # Whatever the token says, a file with errors is never applied; say what is wrong with it.
        return _preview(request, admin, campaign, data, file_name, reason=reason, report=report)
    try:
        token = signing.loads(request.POST["ma"], salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except signing.BadSignature:
        return _refused(request, STALE_PREVIEW)
    if token.get("by") != request.user.pk:
        return _refused(request, STALE_PREVIEW)
    if token.get("sha256") != report.sha256:
        return _refused(request, CHANGED_FILE)
    sent = {"campaign": campaign.pk, "file": file_name, "reason": reason}
    differing = [OPTION_LABELS[key] for key, value in sent.items() if token.get(key) != value]
    if differing:
        return _refused(request, CHANGED_OPTIONS.format(options=", ".join(differing)))
    report = users_import(campaign=campaign, data=data, file_name=file_name, actor=request.user.get_username(),
                          reason=reason, manager=admin, expected_fingerprint=token["plan"])
    if report.errors:
        # The users changed since the preview: show the file as it would apply now.
        return _preview(request, admin, campaign, data, file_name, reason=reason,
                        error="; ".join(str(e) for e in report.errors), status=400)
    summary = (f"Đã nhập «{file_name}»: tạo {vn.number(len(report.creates))}, "
               f"sửa {vn.number(len(report.updates))}, không đổi {vn.number(len(report.unchanged))}.")
    if not report.passwords:
        messages.success(request, summary)
        return redirect(reverse("user_list"))
    return _show_passwords(request, summary, report.passwords)


@user_admin_required
def users_template(request, admin):
    """Download the CSV template of users; `?dot=CODE` fills it with the users of that campaign one manages."""
    rows = []
    name = "mau-nguoi-dung.csv"
    code = request.GET.get("dot")
    if code:
        campaign = get_object_or_404(_import_campaigns(admin), code=code)
        profiles = Profile.objects.filter(Q(unit__campaign=campaign) | Q(unit__isnull=True),
                                          user__in=admin.users(get_user_model().objects.all()))
        rows = [[p.user.username, p.user.first_name, p.role, p.unit.code if p.unit else "",
                 "co" if p.user.is_active else "khong"]
                for p in profiles.select_related("user", "unit").order_by("user__username")]
        name = f"nguoi-dung-{campaign.code}.csv"
    response = HttpResponse(csv_bytes(COLUMNS, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return _no_store(response)


@login_required
def password_change(request):
    """Let a user change their own password; the page every page leads to while a one-time password is held."""
    form = OwnPasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user_password_change(user=request.user, password=form.cleaned_data["new_password1"],
                             actor=request.user.get_username())
        update_session_auth_hash(request, request.user)
        messages.success(request, "Đã đổi mật khẩu.")
        return redirect(reverse("home"))
    profile = getattr(request.user, "profile", None)
    return render(request, "accounts/password_change.html", {
        "form": form, "one_time": profile is not None and profile.must_change_password,
    }, status=400 if form.errors else 200)
