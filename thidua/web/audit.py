"""The history in the site: the audit page (every act, filtered), one act with its changes, the chain's check,
and the history of one record (a count, a team's day, a unit, a user) for whoever sees that record."""

import datetime as dt

from django.apps import apps
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from thidua.accounts.models import Role
from thidua.accounts.scopes import AUDIT_ROLES, VERIFY_CHAIN_ROLES, campaigns_of, role_of, user_admin_of
from thidua.audit.chain import chain_anchor, chain_verify
from thidua.audit.journal import journal_verify
from thidua.audit.keys import audit_key
from thidua.audit.labels import ACCOUNT_ENTITIES, ENTITY_LABELS, Where, describe, named, record_title
from thidua.audit.models import ChangeSet, Source
from thidua.audit.selectors import (
    ActFilter,
    act_read,
    acts,
    acts_read,
    created_by,
    record_history,
    team_day_history,
)
from thidua.campaigns.models import Campaign
from thidua.intake.integrity import data_discrepancy
from thidua.intake.models import Assignment, IntakeRecord
from thidua.lib import vn
from thidua.units.models import Kind, Unit

from .reports import team_day_of
from .views import _campaign_and_scope

ACTS_PER_PAGE = 50
CHANGES_PER_PAGE = 100
CREATED_PER_PAGE = 100  # counts an import created, shown on its act's page
NOT_ALLOWED = "Nhật ký chỉ dành cho Quản trị, PC06 và Hội đồng TĐKT."


def _date(raw: str) -> dt.date | None:
    try:
        return vn.parse_date(raw) if raw else None
    except ValueError:
        return None


def _key_filter(text: str) -> str:
    """Return the part of a record's key to look for: a day typed dd/mm/yyyy as the history writes it."""
    day = _date(text) if vn.date_parts(text) else None
    return day.isoformat() if day else text


def _bound_campaigns(user) -> frozenset[int] | None:
    """Return the campaigns whose acts a user reads, or None for every act (a superuser, a user bound to no unit).
    The acts of no campaign (about accounts bound to no unit, the territory, the history's key) are not for a user
    bound to a campaign's unit."""
    return None if user.is_superuser else campaigns_of(user)


def _visible_acts(user):
    """Return the acts a user may open: all, or their campaign's."""
    ids = _bound_campaigns(user)
    everything = ChangeSet.objects.all()
    return everything if ids is None else everything.filter(campaign_id__in=ids)


@login_required
def audit_list(request):
    """List every act (newest first) with filters: who, source, kind of record, key, reason, dates, campaign."""
    if role_of(request.user) not in AUDIT_ROLES:
        raise PermissionDenied(NOT_ALLOWED)
    g = request.GET
    bound = _bound_campaigns(request.user)
    campaigns = Campaign.objects.order_by("code")
    if bound is not None:
        campaigns = campaigns.filter(id__in=bound)
    chosen = next((c for c in campaigns if c.code == g.get("dot")), None)
    f = ActFilter(campaign_ids=frozenset({chosen.id}) if chosen else bound, actor=g.get("nguoi", "").strip(),
                  source=g.get("nguon", "") if g.get("nguon") in Source.values else "",
                  entity=g.get("doi_tuong", "") if g.get("doi_tuong") in ENTITY_LABELS else "",
                  key=_key_filter(g.get("khoa", "").strip()), reason=g.get("ly_do", "").strip(),
                  since=_date(g.get("tu", "")), until=_date(g.get("den", "")))
    page = Paginator(acts(f), ACTS_PER_PAGE).get_page(g.get("trang"))
    query = g.copy()
    query.pop("trang", None)
    anchor, head = chain_anchor()
    return render(request, "web/audit_list.html", {
        "page": page, "rows": acts_read(list(page)), "f": f, "campaigns": campaigns, "chosen": chosen,
        "sources": Source.choices, "entities": ENTITY_LABELS.items(), "query": query.urlencode(),
        "key_shown": g.get("khoa", "").strip(), "several_campaigns": len(campaigns) > 1,
        "may_verify_chain": role_of(request.user) in VERIFY_CHAIN_ROLES, "anchor": anchor, "head": head,
    })


@login_required
def audit_act(request, pk):
    """Show one act: who, when, from where, why, its place in the chain, what it did per sheet, each record's
    before and after, and the counts it created (an import's), each linked to its history."""
    if role_of(request.user) not in AUDIT_ROLES:
        raise PermissionDenied(NOT_ALLOWED)
    act = get_object_or_404(_visible_acts(request.user).select_related("campaign"), pk=pk)
    page = Paginator(act.changes.order_by("id"), CHANGES_PER_PAGE).get_page(request.GET.get("trang"))
    created = Paginator(created_by(act), CREATED_PER_PAGE).get_page(request.GET.get("them"))
    view = act_read(act, list(page), list(created), page.paginator.count)
    query = request.GET.copy()
    query.pop("trang", None)
    more = request.GET.copy()
    more.pop("them", None)
    return render(request, "web/audit_act.html", {"act": act, "page": page, "created": created, "view": view,
                                                  "query": query.urlencode(), "more": more.urlencode()})


# What a user bound to a campaign's unit reads when the check fails on a record that is not theirs.
ELSEWHERE = ("ngoài phạm vi của bạn (của đợt thi đua khác, hoặc của tài khoản hay địa bàn chung): báo quản trị hệ "
             "thống chạy `thidua audit verify` để biết chi tiết")


@require_POST
@login_required
def audit_verify(request):
    """Recompute the whole chain and check every count against it; say whether all holds, or where it breaks (the
    details only to whoever may read the record that breaks)."""
    if role_of(request.user) not in VERIFY_CHAIN_ROLES:
        raise PermissionDenied("Chỉ Quản trị và PC06 kiểm tra chuỗi nhật ký.")
    bound = _bound_campaigns(request.user)
    key = audit_key()
    report = chain_verify(key=key)
    journal = journal_verify(key=key) if report.ok else None
    problem = data_discrepancy() if report.ok and journal.ok else None
    entries = vn.number(report.entries)
    if not report.ok:
        if bound is None or report.act is None or report.act.campaign_id in bound:
            messages.error(request, f"Chuỗi nhật ký bị phá: {report.broken}.")
        else:
            messages.error(request, f"Chuỗi nhật ký bị phá ở mục số {report.act.seq or '?'}, {ELSEWHERE}.")
    elif not journal.ok:
        messages.error(request, f"Chuỗi nhật ký trong cơ sở dữ liệu nguyên vẹn ({entries} mục) nhưng tệp mốc "
                                f"của máy chủ không khớp: {journal.broken}.")
    elif problem:
        shown = problem.message if bound is None or problem.campaign_id in bound else ELSEWHERE
        messages.error(request, f"Chuỗi nhật ký nguyên vẹn ({entries} mục) nhưng số liệu không khớp: {shown}.")
    elif key is None:
        messages.error(request, f"Chuỗi băm nguyên vẹn ({entries} mục) và mọi số liệu khớp với nhật ký, nhưng "
                                "máy chủ không có khóa nhật ký nên chưa xác thực được: báo quản trị hệ thống.")
    else:
        messages.success(request, f"Chuỗi nhật ký nguyên vẹn và xác thực bằng khóa: {entries} mục, không mục "
                                  "nào bị sửa, xóa hay chèn thêm; mọi số liệu thu nhận và mọi dữ liệu quyết định xếp "
                                  "hạng khớp với nhật ký.")
    return redirect(reverse("audit_list"))


def _record_unit(campaign, entity: str, key: str) -> int | None:
    """Return the unit a record belongs to (a count's or a day's team, a unit itself), or None for records of the
    whole campaign (machines, officers, population, settings), which only campaign-wide roles read."""
    parts = key.split("|")
    if entity == "thu_nhan" and len(parts) == 3:
        day = _date(parts[0])
        record = IntakeRecord.objects.filter(campaign=campaign, day=day, machine__code=parts[1],
                                             commune__code=parts[2]).values_list("team_id", flat=True).first()
        return record
    if entity == "bao_cao" and len(parts) == 2:
        return Unit.objects.filter(campaign=campaign, code=parts[0], kind=Kind.TO).values_list("id", flat=True).first()
    if entity == "don_vi":
        return Unit.objects.filter(campaign=campaign, code=key).values_list("id", flat=True).first()
    return None


def _account_of(entity: str, key: str):
    """Return the user an account's record is about: the user itself, or the owner of an API key (None: unknown)."""
    if entity == "user":
        return get_user_model().objects.select_related("profile__unit").filter(username=key).first()
    token = (apps.get_model("api", "ApiToken").objects.select_related("user__profile__unit")
             .filter(prefix=key).first())
    return token.user if token is not None else None


def _reads_account_history(user, entity: str, key: str) -> bool:
    """Say whether a user reads the history of an account or an API key (roles, units, password resets, the hash of
    a key's secret): whoever reads the audit or manages users — but an administrator bound to a unit only of the
    users they manage, and of their keys. A viewer, a district or a team never does, whatever their scope."""
    admin = user_admin_of(user)
    if role_of(user) == Role.ADMIN and not user.is_superuser and campaigns_of(user) is not None:
        account = _account_of(entity, key)
        return admin is not None and account is not None and admin.manages(account)
    return role_of(user) in AUDIT_ROLES or admin is not None


@login_required
def record_history_page(request, code):
    """Show every change of one record (?doi_tuong=…&khoa=…), oldest first, to whoever sees that record."""
    campaign, scope = _campaign_and_scope(request, code)
    entity, key = request.GET.get("doi_tuong", ""), request.GET.get("khoa", "")
    if entity not in ENTITY_LABELS or not key:
        raise Http404("Không rõ bản ghi nào.")
    if entity in ACCOUNT_ENTITIES:
        if not _reads_account_history(request.user, entity, key):
            raise Http404("Bản ghi này không thuộc phạm vi của bạn.")
    elif not scope.whole_campaign:
        unit = _record_unit(campaign, entity, key)
        if unit is None or not scope.sees(unit):
            raise Http404("Bản ghi này không thuộc phạm vi của bạn.")
    changes = record_history(entity=entity, key=key, campaign_id=campaign.id)
    where = Where(campaign.id, campaign.structure, campaign.name, campaign.code)
    title = named(lambda names: record_title(entity, key, names, where))
    return render(request, "web/record_history.html", {
        "campaign": campaign, "title": f"{ENTITY_LABELS[entity]}: {title}", "changes": changes,
        "entries": describe(changes), "show_key": False, "may_audit": scope.role in AUDIT_ROLES,
    })


@login_required
def team_day_history_page(request, code, team, day):
    """Show every change of a team's day: the report's steps and each count, oldest first."""
    campaign, scope, found, day = team_day_of(request, code, team, day)
    machines = list(Assignment.objects.filter(team=found, start__lte=day, end__gte=day)
                    .values_list("machine__code", flat=True))
    changes = team_day_history(campaign_id=campaign.id, team_id=found.id, team_code=found.code, day=day,
                               machine_codes=machines)
    return render(request, "web/record_history.html", {
        "campaign": campaign, "title": f"{found.name} · {day:%d/%m/%Y}", "changes": changes,
        "entries": describe(changes), "show_key": True,
        "back": reverse("report_day", args=[campaign.code, found.code, day.isoformat()]),
        "may_audit": scope.role in AUDIT_ROLES,
    })
