"""The REST API under /api/v1/ (docs/api.md): thin functions that ask `accounts.scopes` who may do what, exactly as
the pages do, then call the selectors and services of the domain apps. Every error has the shape of `errors.py`."""

import datetime as dt
import hashlib
from typing import Annotated

from django.http import HttpResponse
from django.urls import re_path
from ninja import Header, NinjaAPI, Path, Query, Swagger
from ninja.renderers import JSONRenderer

from thidua.accounts.models import Role
from thidua.accounts.scopes import ENTER_ROLES, REOPEN_ROLES, VERIFY_ROLES, Scope, campaigns_visible, scope_of
from thidua.audit.models import Source
from thidua.awards import nominations as nominations_service
from thidua.awards.models import Nomination, NominationKind, NominationLevel
from thidua.campaigns.models import Campaign
from thidua.intake.models import DailyReport, ReportStatus
from thidua.intake.rules import IntakeRules
from thidua.intake.services import report_reopen, report_submit, report_verify
from thidua.standings.export import standings_json
from thidua.standings.selectors import campaign_standings
from thidua.units.models import Kind, Officer, Unit

from . import selectors
from .auth import BearerToken
from .errors import ApiError, ErrorOut, forbidden, in_one_shape, install, not_found, unknown_path
from .schemas import (
    TEXT,
    CampaignDetailOut,
    CampaignOut,
    IntakeFilters,
    IntakeIn,
    IntakePageOut,
    IntakeWriteOut,
    MachineOut,
    NominationIn,
    NominationOut,
    ReasonIn,
    ReportOut,
    StandingsOut,
    UnitDetailOut,
    UnitOut,
)
from .services import KeyReused, idempotent, intake_write

CampaignCode = Annotated[str, Path(max_length=60, pattern=TEXT)]
UnitCode = Annotated[str, Path(max_length=40, pattern=TEXT)]
Day = Annotated[dt.date, Path(description="YYYY-MM-DD")]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200, pattern=TEXT,
                                              description="Khóa của lần ghi, để gửi lại an toàn.")]

# 400 everywhere: a control character in the path, a parameter or the body (thidua/web/middleware.py).
READ_ERRORS = {frozenset({400, 401, 404, 422, 500}): ErrorOut}
WRITE_ERRORS = {frozenset({400, 401, 403, 404, 422, 500}): ErrorOut}


class UnicodeJSON(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}


class ThiduaAPI(NinjaAPI):
    """The API, where even an unknown path or a method a path does not take answers in the one error shape."""

    def get_openapi_operation_id(self, operation) -> str:
        return operation.view_func.__name__

    @property
    def urls(self):
        patterns, app_name, namespace = super().urls
        patterns = [in_one_shape(self, p) for p in patterns]
        return [*patterns, re_path(r"", unknown_path(self))], app_name, namespace


api = ThiduaAPI(
    title="thidua API",
    version="1",
    description="Đọc và ghi số liệu của đợt thi đua trong phạm vi của người dùng; xem docs/api.md.",
    auth=BearerToken(),
    renderer=UnicodeJSON(),
    urls_namespace="api-v1",
    docs=Swagger(),  # served from ninja's static files: no CDN, no inline script (the site's CSP holds)
    docs_url="/docs",
)
install(api)


# --- who may do what ------------------------------------------------------------------------------------------

def _campaign(request, code: str) -> tuple[Campaign, Scope]:
    """Return the campaign and the caller's scope in it; a campaign not theirs does not exist for them."""
    campaign = Campaign.objects.filter(code=code).first()
    scope = scope_of(request.auth, campaign) if campaign is not None else None
    if scope is None:
        raise not_found(f"Không có đợt thi đua «{code}».")
    return campaign, scope


def _unit(campaign, scope: Scope, code: str, *, team: bool = False) -> Unit:
    """Return a unit (a team) in the caller's scope; one outside it does not exist for them."""
    units = Unit.objects.select_related("parent", "group").filter(campaign=campaign, code=code)
    unit = (units.filter(kind=Kind.TO) if team else units).first()
    if unit is None or not scope.sees(unit.id):
        raise not_found(f"Không có {'tổ' if team else 'đơn vị'} «{code}» trong phạm vi của bạn.")
    return unit


def _allow(scope: Scope, roles: set, what: str) -> None:
    if scope.role not in roles:
        raise forbidden(f"Vai trò «{Role(scope.role).label}» không được {what}.")


def _team_day(request, code: str, ma_to: str, day: dt.date, roles: set, what: str) -> tuple[Campaign, Unit]:
    """Return the campaign and the team of a report's day, after the same checks as the report page."""
    campaign, scope = _campaign(request, code)
    team = _unit(campaign, scope, ma_to, team=True)
    if not campaign.start <= day <= campaign.deadline:
        raise not_found(f"Ngày {day:%d/%m/%Y} nằm ngoài thời gian thi đua ({campaign.start:%d/%m/%Y} – "
                        f"{campaign.deadline:%d/%m/%Y}).")
    _allow(scope, roles, what)
    return campaign, team


def _actor(request) -> str:
    return request.auth.get_username()


# --- campaigns and units --------------------------------------------------------------------------------------

def _campaign_row(campaign: Campaign) -> dict:
    return {"code": campaign.code, "name": campaign.name, "province_code": campaign.province_code,
            "structure": campaign.structure, "start": campaign.start, "deadline": campaign.deadline,
            "status": campaign.status, "status_label": campaign.get_status_display(),
            "synthetic": campaign.synthetic}


@api.get("/campaigns", response={200: list[CampaignOut], **READ_ERRORS},
         summary="Các đợt thi đua", tags=["Đợt thi đua"])
def campaigns(request):
    """Liệt kê các đợt thi đua bạn được xem."""
    return [_campaign_row(c) for c in campaigns_visible(request.auth)]


@api.get("/campaigns/{code}", response={200: CampaignDetailOut, **READ_ERRORS},
         summary="Một đợt thi đua", tags=["Đợt thi đua"])
def campaign(request, code: CampaignCode):
    """Xem một đợt thi đua và vai trò của bạn trong đó."""
    found, scope = _campaign(request, code)
    return {**_campaign_row(found), "role": scope.role, "whole_campaign": scope.whole_campaign,
            "read_only": not scope.writes}


@api.get("/campaigns/{code}/units", response={200: list[UnitOut], **READ_ERRORS},
         summary="Các đơn vị trong phạm vi", tags=["Đơn vị"])
def units(request, code: CampaignCode):
    """Liệt kê các đơn vị trong phạm vi của bạn."""
    found, scope = _campaign(request, code)
    return [selectors.unit_row(u, scope) for u in selectors.units_in_scope(found, scope)]


@api.get("/campaigns/{code}/units/{unit_code}", response={200: UnitDetailOut, **READ_ERRORS},
         summary="Một đơn vị", tags=["Đơn vị"])
def unit(request, code: CampaignCode, unit_code: UnitCode):
    """Xem một đơn vị trong phạm vi của bạn: các xã nó phục vụ, số hồ sơ các tổ của nó đã thu nhận."""
    found, scope = _campaign(request, code)
    return selectors.unit_detail(found, _unit(found, scope, unit_code), scope)


@api.get("/campaigns/{code}/machines", response={200: list[MachineOut], **READ_ERRORS},
         summary="Các máy và phân công", tags=["Máy"])
def machines(request, code: CampaignCode):
    """Liệt kê các máy được phân công cho tổ trong phạm vi của bạn, với chỉ tiêu hoặc chỉ tiêu ngày."""
    found, scope = _campaign(request, code)
    return selectors.machines_in_scope(found, scope)


# --- intake ---------------------------------------------------------------------------------------------------

@api.get("/campaigns/{code}/intake", response={200: IntakePageOut, **READ_ERRORS},
         summary="Số liệu thu nhận", tags=["Thu nhận"])
def intake(request, code: CampaignCode, filters: Query[IntakeFilters]):
    """Liệt kê số liệu thu nhận của các tổ trong phạm vi của bạn, theo trang, theo thứ tự (ngày, máy, xã)."""
    found, scope = _campaign(request, code)
    rows = selectors.intake_in_scope(found, scope, since=filters.tu_ngay, until=filters.den_ngay,
                                     team=filters.ma_to, machine=filters.ma_may)
    start = (filters.page - 1) * filters.page_size
    return {"count": rows.count(), "page": filters.page, "page_size": filters.page_size,
            "items": list(rows[start:start + filters.page_size])}


@api.post("/campaigns/{code}/intake", response={200: IntakeWriteOut, **WRITE_ERRORS, 413: ErrorOut},
          summary="Ghi số liệu thu nhận", tags=["Thu nhận"])
def intake_post(request, response: HttpResponse, code: CampaignCode, payload: IntakeIn,
                idempotency_key: IdempotencyKey = None):
    """Ghi số liệu thu nhận (các dòng của trang thu_nhan), tất cả hoặc không dòng nào.

    Cùng quy tắc với nhập tệp và trang báo cáo ngày: gửi lại đúng các dòng đã có không thay đổi gì; sửa số liệu
    của ngày đã gửi cần `ly_do`; ngày đã xác nhận bị khóa.

    Tiêu đề `Idempotency-Key` (không bắt buộc, tối đa 200 ký tự): gửi lại cùng yêu cầu với cùng khóa (khi mất kết
    nối, hết thời gian chờ) trả lại đúng kết quả lần đầu mà không ghi thêm gì (tiêu đề trả về
    `Idempotent-Replayed: true`); khóa được nhớ 7 ngày; dùng lại khóa cho một yêu cầu khác bị từ chối (422).
    """
    found, scope = _campaign(request, code)
    _allow(scope, ENTER_ROLES, "nhập số liệu thu nhận")
    IntakeRules.current(found)  # read (and kept) before the write's transaction: see IntakeRules.current

    def write() -> dict:
        result = intake_write(campaign=found, scope=scope, rows=payload.rows, actor=_actor(request),
                              reason=payload.ly_do)
        return {"added": result.added, "changed": result.changed, "unchanged": result.unchanged}

    digest = hashlib.sha256(b"%s %s\n%s" % (request.method.encode(), request.path.encode(), request.body)).hexdigest()
    try:
        answer, replayed = idempotent(user=request.auth, key=idempotency_key, request_sha256=digest, write=write)
    except KeyReused as exc:
        raise ApiError(422, str(exc)) from exc
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return answer


# --- daily reports --------------------------------------------------------------------------------------------

def _report_row(report: DailyReport) -> dict:
    return {"ma_to": report.team.code, "ngay": report.day, "status": report.status,
            "status_label": report.get_status_display(), "late": report.late, "submitted_by": report.submitted_by,
            "submitted_at": report.submitted_at, "verified_by": report.verified_by,
            "verified_at": report.verified_at}


def _report(team: Unit, day: dt.date) -> DailyReport | None:
    return DailyReport.objects.select_related("team", "campaign").filter(team=team, day=day).first()


@api.post("/campaigns/{code}/reports/{ma_to}/{ngay}/submit", response={200: ReportOut, **WRITE_ERRORS},
          summary="Gửi báo cáo ngày", tags=["Báo cáo ngày"])
def report_submit_view(request, code: CampaignCode, ma_to: UnitCode, ngay: Day):
    """Gửi báo cáo ngày của tổ: lần gửi đầu tiên sau ngày đó thì bị ghi là trễ; gửi lại ngày PC06 đã mở lại giữ
    người gửi, lúc gửi và trễ hạn của lần gửi đầu tiên. Ngày tổ không giữ máy nào thì không có báo cáo để gửi."""
    found, team = _team_day(request, code, ma_to, ngay, ENTER_ROLES, "gửi báo cáo ngày")
    return _report_row(report_submit(campaign=found, team=team, day=ngay, actor=_actor(request), source=Source.API))


@api.post("/campaigns/{code}/reports/{ma_to}/{ngay}/verify", response={200: ReportOut, **WRITE_ERRORS},
          summary="Xác nhận báo cáo ngày", tags=["Báo cáo ngày"])
def report_verify_view(request, code: CampaignCode, ma_to: UnitCode, ngay: Day):
    """Xác nhận báo cáo ngày đã gửi: từ đó số liệu của ngày bị khóa."""
    _, team = _team_day(request, code, ma_to, ngay, VERIFY_ROLES, "xác nhận báo cáo ngày")
    report = _report(team, ngay)
    if report is None:
        raise ApiError(400, f"Chỉ xác nhận được ngày đã gửi; ngày này đang «{ReportStatus.DRAFT.label}».")
    return _report_row(report_verify(report=report, actor=_actor(request), source=Source.API))


@api.post("/campaigns/{code}/reports/{ma_to}/{ngay}/reopen", response={200: ReportOut, **WRITE_ERRORS},
          summary="Mở lại báo cáo ngày", tags=["Báo cáo ngày"])
def report_reopen_view(request, code: CampaignCode, ma_to: UnitCode, ngay: Day, payload: ReasonIn):
    """Mở lại ngày đã xác nhận để tổ sửa (cần `ly_do`)."""
    _, team = _team_day(request, code, ma_to, ngay, REOPEN_ROLES, "mở lại báo cáo ngày")
    report = _report(team, ngay)
    if report is None:
        raise ApiError(400, "Chỉ mở lại được ngày đã xác nhận.")
    return _report_row(report_reopen(report=report, actor=_actor(request), reason=payload.ly_do, source=Source.API))


# --- standings ------------------------------------------------------------------------------------------------

@api.get("/campaigns/{code}/standings", response={200: StandingsOut, **READ_ERRORS},
         exclude_unset=True, summary="Bảng xếp hạng", tags=["Xếp hạng"])
def standings(request, code: CampaignCode, ngay: dt.date | None = None):
    """Bảng xếp hạng đến một ngày (mặc định hôm nay, tối đa hạn cuối): đúng JSON của `thidua score --format json`.

    Mọi vai trò của đợt thi đua đều xem được, như trang xếp hạng.
    """
    found, _ = _campaign(request, code)
    if ngay is not None and ngay < found.start:
        raise ApiError(400, f"Ngày {ngay:%d/%m/%Y} trước ngày bắt đầu đợt thi đua ({found.start:%d/%m/%Y}).")
    return standings_json(campaign_standings(found, ngay))


# --- issue 10: nominations -----------------------------------------------------------------------------------

def _nominations(campaign: Campaign, scope: Scope):
    """Return the nominations a scope may read (as the nominations page): every one for campaign-wide roles, else
    those its units made; a team reads none."""
    if scope.role == Role.TEAM:
        raise forbidden(nominations_service.TEAM_CANNOT)
    found = Nomination.objects.filter(campaign=campaign).select_related("nominating_unit", "officer", "unit")
    return found if scope.whole_campaign else found.filter(nominating_unit_id__in=scope.unit_ids)


def _nomination_row(n: Nomination) -> dict:
    return {"id": n.pk, "cap": n.level, "loai": n.kind, "ma_don_vi_de_nghi": n.nominating_unit.code, "giai": n.tier,
            "suat": n.place, "ma_can_bo": n.officer.code if n.officer_id else None,
            "ma_don_vi": n.unit.code if n.unit_id else None, "thanh_tich": n.achievements, "trang_thai": n.status,
            "trang_thai_nhan": n.get_status_display(), "nguoi_de_nghi": n.proposed_by,
            "ly_do_tra_lai": n.review_reason}


def _refused(exc: nominations_service.NominationError) -> ApiError:
    return ApiError(403 if exc.forbidden else 400, " ".join(exc.problems))


@api.get("/campaigns/{code}/nominations", response={200: list[NominationOut], **READ_ERRORS, 403: ErrorOut},
         summary="Các đề nghị khen thưởng", tags=["Đề nghị khen thưởng"])
def nominations(request, code: CampaignCode):
    """Liệt kê các đề nghị khen thưởng trong phạm vi của bạn (như trang đề nghị khen thưởng)."""
    found, scope = _campaign(request, code)
    return [_nomination_row(n) for n in _nominations(found, scope)]


@api.post("/campaigns/{code}/nominations", response={200: NominationOut, **WRITE_ERRORS},
          summary="Đề nghị khen thưởng", tags=["Đề nghị khen thưởng"])
def nomination_post(request, code: CampaignCode, payload: NominationIn):
    """Đề nghị khen thưởng một cán bộ (hoặc, ở cấp tỉnh, một tập thể) trong suất của đơn vị đề nghị.

    Cùng quy tắc với trang đề nghị và tệp CSV: suất theo giải (cấp huyện) hoặc theo nhóm cấp tỉnh (PC06), tiêu chuẩn
    theo số liệu, mỗi cán bộ một lần; hai người đề nghị cùng lúc cho suất cuối thì chỉ một người được.
    """
    found, scope = _campaign(request, code)
    _nominations(found, scope)
    nominating = _unit(found, scope, payload.ma_don_vi_de_nghi)
    officer = collective = None
    if bool(payload.ma_can_bo) == bool(payload.ma_don_vi):
        raise ApiError(400, nominations_service.NAME_ONE)
    if payload.ma_can_bo:
        officer = Officer.objects.filter(campaign=found, code=payload.ma_can_bo).first()
        if officer is None:
            raise ApiError(400, nominations_service.NO_OFFICER.format(code=payload.ma_can_bo))
    else:
        collective = Unit.objects.filter(campaign=found, code=payload.ma_don_vi).first()
        if collective is None:
            raise ApiError(400, nominations_service.NO_UNIT.format(code=payload.ma_don_vi))
    top = nominations_service.provincial_unit(found)
    level = NominationLevel.PROVINCE if top is not None and top.id == nominating.id else NominationLevel.DISTRICT
    kind = NominationKind.INDIVIDUAL if officer is not None else NominationKind.COLLECTIVE
    try:
        created = nominations_service.nomination_propose(
            campaign=found, actor=nominations_service.actor_of(request.auth), level=level, kind=kind,
            nominating_unit=nominating, officer=officer, collective=collective, achievements=payload.thanh_tich,
            source=Source.API)
    except nominations_service.NominationError as exc:
        raise _refused(exc) from None
    return _nomination_row(created)


def _nomination_step(request, code: str, pk: int, step) -> dict:
    found, scope = _campaign(request, code)
    nomination = _nominations(found, scope).filter(pk=pk).first()
    if nomination is None:
        raise not_found(f"Không có đề nghị số {pk} trong phạm vi của bạn.")
    try:
        done = step(nomination, nominations_service.actor_of(request.auth))
    except nominations_service.NominationError as exc:
        raise _refused(exc) from None
    return _nomination_row(done)


@api.post("/campaigns/{code}/nominations/{pk}/accept", response={200: NominationOut, **WRITE_ERRORS},
          summary="PC06 thẩm định đạt", tags=["Đề nghị khen thưởng"])
def nomination_accept(request, code: CampaignCode, pk: int, payload: ReasonIn):
    """PC06 thẩm định đạt một đề nghị đang «Đã đề nghị»: đề nghị giữ suất của nó."""
    return _nomination_step(request, code, pk, lambda n, a: nominations_service.nomination_review(
        nomination=n, actor=a, accept=True, reason=payload.ly_do, source=Source.API))


@api.post("/campaigns/{code}/nominations/{pk}/return", response={200: NominationOut, **WRITE_ERRORS},
          summary="Trả lại đề nghị", tags=["Đề nghị khen thưởng"])
def nomination_return(request, code: CampaignCode, pk: int, payload: ReasonIn):
    """Trả lại một đề nghị, cần `ly_do`: PC06 trả lại đề nghị «Đã đề nghị», Hội đồng TĐKT trả lại đề nghị PC06 đã
    thẩm định. Đề nghị trả lại không còn giữ suất; đơn vị đề nghị lại được."""
    def step(n, actor):
        if actor.role == Role.COUNCIL:
            return nominations_service.nomination_approve(nomination=n, actor=actor, approve=False,
                                                          reason=payload.ly_do, source=Source.API)
        return nominations_service.nomination_review(nomination=n, actor=actor, accept=False, reason=payload.ly_do,
                                                     source=Source.API)
    return _nomination_step(request, code, pk, step)


@api.post("/campaigns/{code}/nominations/{pk}/approve", response={200: NominationOut, **WRITE_ERRORS},
          summary="Hội đồng duyệt đề nghị", tags=["Đề nghị khen thưởng"])
def nomination_approve(request, code: CampaignCode, pk: int, payload: ReasonIn):
    """Hội đồng TĐKT duyệt một đề nghị PC06 đã thẩm định."""
    return _nomination_step(request, code, pk, lambda n, a: nominations_service.nomination_approve(
        nomination=n, actor=a, approve=True, reason=payload.ly_do, source=Source.API))


@api.post("/campaigns/{code}/nominations/{pk}/withdraw", response={200: NominationOut, **WRITE_ERRORS},
          summary="Rút đề nghị", tags=["Đề nghị khen thưởng"])
def nomination_withdraw(request, code: CampaignCode, pk: int, payload: ReasonIn):
    """Đơn vị đề nghị rút một đề nghị chưa được Hội đồng duyệt (cần `ly_do`); suất của nó được trả lại."""
    return _nomination_step(request, code, pk, lambda n, a: nominations_service.nomination_withdraw(
        nomination=n, actor=a, reason=payload.ly_do, source=Source.API))
