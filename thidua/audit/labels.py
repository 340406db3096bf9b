"""What the history shows: each kind of record, each field's Vietnamese label and how its value reads, in one table;
and the names behind the codes a change records (people, units, officers, communes, groups), each kind looked up in
one query whatever the number of changes.

The history keeps codes and stored values (`status: submitted`, `2021-03-15|M001|31318`), as its hashes need them;
its pages show `Trạng thái: Đã gửi, chờ xác nhận` and `15/03/2021 · máy M001 · Phường IV`. The apps above this one
(accounts, units, territory, intake) are read through the app registry: they build on the history.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import NamedTuple, TypeVar

from django.apps import apps
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from thidua.lib import vn

from .models import Change, ChangeSet

# The kinds of record the history names, as they appear in Change.entity (and, for imports, the workbook's sheets).
ENTITY_LABELS = {
    "thu_nhan": _("Số liệu thu nhận"),
    "bao_cao": _("Báo cáo ngày"),
    "don_vi": _("Đơn vị"),
    "can_bo": _("Cán bộ"),
    "may": _("Máy và phân công"),
    "dan_so": _("Dân số trong độ tuổi"),
    "campaign": _("Cài đặt đợt thi đua"),
    "campaign.status": _("Trạng thái đợt thi đua"),
    "user": _("Người dùng và vai trò"),
    "api_token": _("Khóa API"),
    "ket_qua_chot": _("Bản chốt kết quả"),
    "phan_xu_dong_hang": _("Phán quyết đồng hạng của Hội đồng"),
    "van_ban": _("Văn bản đã ban hành"),
    "khieu_nai": _("Khiếu nại"),
    "bang_chung": _("Tệp bằng chứng"),
    "de_nghi": _("Đề nghị khen thưởng"),
    # issue 11: planner
    "ho_tro": _("Điều động máy hỗ trợ"),
    # end planner
}
# The kinds about accounts and their keys (who may act, a password reset, the hash of a key's secret): their history
# is not a campaign's data, but the audit's and the user administration's.
ACCOUNT_ENTITIES = frozenset({"user", "api_token"})


@dataclass(frozen=True)
class Field:
    label: str
    shows: str  # how the value reads: a key of _SHOWN, of CHOICES or "settings"


# Every field the history records, by kind of record, in the order they are shown.
FIELDS: dict[str, dict[str, Field]] = {
    # The register of issued documents.
    "van_ban": {
        "kind": Field(_("Loại văn bản"), "text"), "version": Field(_("Phiên bản"), "number"),
        "number": Field(_("Số, ký hiệu"), "text"), "date": Field(_("Ngày văn bản"), "date"),
        "file_name": Field(_("Tệp"), "text"), "sha256": Field(_("Mã SHA-256"), "hash"),
        "size": Field(_("Dung lượng (byte)"), "number"), "snapshot": Field(_("Bản chốt kết quả số"), "number"),
    },
    # issue 10: nominations (thidua/awards/nominations.py)
    "de_nghi": {
        "status": Field(_("Trạng thái"), "nomination_status"), "level": Field(_("Cấp"), "nomination_level"),
        "kind": Field(_("Cá nhân hay tập thể"), "nomination_kind"),
        "nominating_unit": Field(_("Đơn vị đề nghị"), "unit"), "group": Field(_("Nhóm"), "group"),
        "tier": Field(_("Giải của đơn vị đề nghị"), "prize"), "place": Field(_("Suất"), "number"),
        "officer": Field(_("Cán bộ được đề nghị"), "officer"), "unit": Field(_("Tập thể được đề nghị"), "unit"),
        "achievements": Field(_("Thành tích"), "text"), "review_reason": Field(_("Lý do trả lại"), "text"),
    },
    "thu_nhan": {"so_ho_so": Field(_("Số hồ sơ"), "number")},
    # issue 11: planner — the support deployments (thidua/monitoring/support.py)
    "ho_tro": {
        "ma_may": Field(_("Máy"), "text"), "don_vi_nhan": Field(_("Đơn vị được hỗ trợ"), "unit"),
        "tu_ngay": Field(_("Từ ngày"), "date"), "den_ngay": Field(_("Đến ngày"), "date"),
        "ket_thuc_som": Field(_("Ngày hỗ trợ cuối cùng (kết thúc sớm)"), "date"),
        "ly_do": Field(_("Lý do điều động"), "text"), "ly_do_ket_thuc": Field(_("Lý do kết thúc sớm"), "text"),
    },
    # end planner
    "bao_cao": {
        "status": Field(_("Trạng thái"), "report_status"), "late": Field(_("Trễ hạn"), "yes_no"),
        "submitted_by": Field(_("Người gửi"), "person"), "submitted_at": Field(_("Lúc gửi"), "instant"),
        "verified_by": Field(_("Người xác nhận"), "person"), "verified_at": Field(_("Lúc xác nhận"), "instant"),
    },
    "don_vi": {
        "ten_don_vi": Field(_("Tên đơn vị"), "text"), "loai": Field(_("Loại đơn vị"), "unit_kind"),
        "ma_don_vi_cap_tren": Field(_("Đơn vị cấp trên"), "unit"), "nhom_thi_dua": Field(_("Nhóm thi đua"), "group"),
        "dia_ban": Field(_("Địa bàn phụ trách"), "areas"),
    },
    "can_bo": {
        "ho_ten": Field(_("Họ và tên"), "text"), "cap_bac": Field(_("Cấp bậc"), "text"),
        "chuc_vu": Field(_("Chức vụ"), "text"), "truc_tiep_cap_cccd": Field(_("Trực tiếp cấp CCCD"), "yes_no"),
        "ma_don_vi": Field(_("Đơn vị"), "units"), "tu_ngay": Field(_("Thuộc đơn vị từ ngày"), "dates"),
    },
    "may": {
        "ma_to": Field(_("Tổ"), "unit"), "tu_ngay": Field(_("Từ ngày"), "date"),
        "den_ngay": Field(_("Đến ngày"), "date"), "chi_tieu": Field(_("Chỉ tiêu (tổng)"), "number"),
        "chi_tieu_ngay": Field(_("Chỉ tiêu mỗi ngày"), "number"),
    },
    "dan_so": {"so_nguoi_trong_do_tuoi": Field(_("Số người trong độ tuổi cấp CCCD"), "number")},
    "campaign": {
        "name": Field(_("Tên đợt thi đua"), "text"), "province_code": Field(_("Tỉnh"), "area"),
        "structure": Field(_("Cấu trúc địa bàn"), "structure"), "start": Field(_("Ngày bắt đầu"), "date"),
        "deadline": Field(_("Hạn cuối"), "date"), "settings": Field(_("Cài đặt"), "settings"),
        "synthetic": Field(_("Dữ liệu mô phỏng"), "yes_no"),
    },
    "campaign.status": {"status": Field(_("Trạng thái"), "campaign_status"),
                        "workflow": Field(_("Các bước đã ghi"), "workflow")},
    "ket_qua_chot": {"version": Field(_("Bản"), "number"), "as_of": Field(_("Tính đến ngày"), "date"),
                     "sha256": Field(_("Mã SHA-256 của nội dung"), "hash"),
                     "appeal": Field(_("Theo khiếu nại số"), "number")},
    "khieu_nai": {
        "loai": Field(_("Khiếu nại về"), "appeal_kind"), "don_vi_gui": Field(_("Đơn vị gửi"), "unit"),
        "ma_to": Field(_("Tổ"), "unit"), "ngay": Field(_("Ngày"), "date"), "ma_may": Field(_("Máy"), "text"),
        "ma_xa": Field(_("Xã"), "area"), "so_dang_ghi": Field(_("Số hồ sơ đang ghi nhận"), "number"),
        "so_mong_muon": Field(_("Số hồ sơ đúng theo đơn vị"), "number"),
        "cach_tinh": Field(_("Cách tính điểm bị khiếu nại"), "text"), "ly_do": Field(_("Lý do, căn cứ"), "text"),
        "trang_thai": Field(_("Trạng thái"), "appeal_status"),
        "nguoi_giai_quyet": Field(_("Người giải quyết"), "person"),
        "ly_do_giai_quyet": Field(_("Lý do giải quyết"), "text"),
        "ban_chot_truoc": Field(_("Bản chốt kết quả trước"), "number"),
        "ban_chot_sau": Field(_("Bản chốt kết quả sau"), "number"),
    },
    "bang_chung": {
        "ten_tep": Field(_("Tệp"), "text"), "loai_tep": Field(_("Loại tệp"), "text"),
        "dung_luong": Field(_("Dung lượng (byte)"), "number"), "sha256": Field(_("Mã SHA-256"), "hash"),
        "ghi_chu": Field(_("Ghi chú"), "text"),
    },
    "phan_xu_dong_hang": {"order": Field(_("Thứ tự Hội đồng quyết định"), "unit_order"),
                          "snapshot": Field(_("Theo bản chốt kết quả"), "number")},
    "user": {
        "full_name": Field(_("Họ tên"), "text"), "role": Field(_("Vai trò"), "role"),
        "unit": Field(_("Đơn vị"), "unit"), "active": Field(_("Hoạt động"), "yes_no"),
        "password": Field(_("Mật khẩu"), "password"),
        "must_change_password": Field(_("Phải đổi mật khẩu"), "yes_no"),
        "superuser": Field(_("Toàn quyền quản trị hệ thống"), "yes_no"),
        "staff": Field(_("Vào trang quản trị hệ thống"), "yes_no"),
        "unit_campaign": Field(_("Đợt thi đua của đơn vị"), "text"),
    },
    "api_token": {
        "user": Field(_("Tài khoản"), "person"), "name": Field(_("Tên"), "text"),
        "secret_sha256": Field(_("Mã băm của khóa"), "hash"), "revoked": Field(_("Đã thu hồi"), "yes_no"),
    },
}

# The campaign's settings (campaigns/config.py, as_json), by place; a group's and a tier's own, by key. What the
# campaign's own fields show already (code, name, province, structure, dates) is not repeated from its settings.
SETTINGS: dict[str, Field] = {
    "max_per_machine_day": Field(_("Số hồ sơ tối đa của một máy trong một ngày"), "number"),
    "non_working_days": Field(_("Ngày nghỉ"), "dates"),
    "reference": Field(_("Căn cứ"), "text"),
    "scale.intake_points": Field(_("Điểm thu nhận tối đa"), "number"),
    "scale.bonus_step": Field(_("Mỗi bước vượt chỉ tiêu"), "percent"),
    "scale.bonus_points_per_step": Field(_("Điểm thưởng mỗi bước vượt"), "number"),
    "scale.bonus_max": Field(_("Điểm thưởng vượt chỉ tiêu tối đa"), "number"),
    "scale.completion_points": Field(_("Điểm hoàn thành đúng hạn"), "number"),
    "scale.early_points_per_day": Field(_("Điểm mỗi ngày hoàn thành sớm"), "number"),
    "scale.early_max": Field(_("Điểm hoàn thành sớm tối đa"), "number"),
    "scale.require_completion": Field(_("Phải hoàn thành đúng hạn mới được khen thưởng"), "yes_no"),
    "statutory.base_salary_vnd": Field(_("Mức lương cơ sở"), "money"),
    "statutory.individual_coefficient": Field(_("Hệ số tiền thưởng cá nhân"), "number"),
    "statutory.collective_coefficient": Field(_("Hệ số tiền thưởng tập thể"), "number"),
    "statutory.reference": Field(_("Căn cứ tiền thưởng"), "text"),
    "grace_days": Field(_("Số ngày tự kết thúc sau hạn cuối"), "number"),
    "appeal_days": Field(_("Số ngày nhận khiếu nại sau khi công bố"), "number"),
    "monitoring.window_days": Field(_("Số ngày tính tốc độ thu nhận"), "number"),
    "monitoring.watch_days": Field(_("Số ngày trước hạn cuối cần theo dõi"), "number"),
    "monitoring.default_machine_capacity": Field(_("Năng lực mặc định của máy hỗ trợ (hồ sơ/ngày)"), "number"),
    "group.name": Field(_("Tên nhóm"), "text"),
    "group.kind": Field(_("Cách xét"), "group_kind"),
    "group.collectives": Field(_("Số tập thể đề nghị"), "number"),
    "group.individuals": Field(_("Số cá nhân đề nghị"), "number"),
    "tier.collective": Field(_("Hình thức khen thưởng tập thể"), "text"),
    "tier.cash_vnd": Field(_("Tiền thưởng"), "money"),
    "tier.individuals": Field(_("Cá nhân đề nghị Bằng khen"), "number"),
    "tier.bonus_points": Field(_("Điểm thi đua cộng"), "number"),
    # issue 10: docx — the documents' wording ([documents], editable after scoring)
    "documents.place": Field(_("Văn bản · Địa danh"), "text"),
    "documents.police": Field(_("Văn bản · Cơ quan ban hành Tờ trình, Báo cáo"), "text"),
    "documents.committee": Field(_("Văn bản · Cơ quan ban hành Quyết định"), "text"),
    "documents.plan_title": Field(_("Văn bản · Tên Kế hoạch"), "text"),
    "documents.plan_symbol": Field(_("Văn bản · Ký hiệu Kế hoạch"), "text"),
    "documents.plan_number": Field(_("Văn bản · Số Kế hoạch"), "number"),
    "documents.plan_date": Field(_("Văn bản · Ngày Kế hoạch"), "text"),
    "documents.money_source": Field(_("Văn bản · Nguồn kinh phí"), "text"),
    "documents.proposer": Field(_("Văn bản · Người đề nghị"), "text"),
    "documents.decider": Field(_("Văn bản · Người quyết định"), "text"),
    "documents.executors": Field(_("Văn bản · Người thi hành quyết định"), "text"),
    "documents.lessons": Field(_("Văn bản · Bài học kinh nghiệm"), "text"),
    "documents.proposal": Field(_("Văn bản · Tờ trình"), "text"),
    "documents.decision": Field(_("Văn bản · Quyết định"), "text"),
    "documents.report": Field(_("Văn bản · Báo cáo tổng kết"), "text"),
}
# What the lifecycle's steps record (Campaign.workflow, thidua.awards.services), by place.
WORKFLOW: dict[str, Field] = {
    "scale_approved.by": Field(_("Hội đồng TĐKT duyệt thang điểm: người duyệt"), "person"),
    "scale_approved.at": Field(_("Hội đồng TĐKT duyệt thang điểm: lúc"), "instant"),
    "scale_approved.settings_sha256": Field(_("Hội đồng TĐKT duyệt thang điểm: mã băm của cài đặt"), "hash"),
    "scored.unverified_confirmed": Field(_("Số ngày-tổ chưa xác nhận được xác nhận khi chấm điểm"), "number"),
    "published_on": Field(_("Ngày công bố kết quả"), "date"),
    "appeals_until": Field(_("Hạn cuối khiếu nại"), "date"),
    "proposal.number": Field(_("Số Tờ trình"), "text"),
    "proposal.date": Field(_("Ngày Tờ trình"), "date"),
    "decision.number": Field(_("Số quyết định khen thưởng"), "text"),
    "decision.date": Field(_("Ngày quyết định khen thưởng"), "date"),
    "decision.signer": Field(_("Người ký quyết định"), "text"),
}
SETTINGS_SHOWN_ELSEWHERE = {"code", "name", "province", "structure", "start", "deadline"}

# Values that are choices of a model above this app: (app, model, field), read when first shown.
CHOICES = {
    "report_status": ("intake", "DailyReport", "status"),
    "campaign_status": ("campaigns", "Campaign", "status"),
    "role": ("accounts", "Profile", "role"),
    "unit_kind": ("units", "Unit", "kind"),
    "structure": ("territory", "AdminUnit", "structure"),
    "group_kind": ("campaigns", "CompetitionGroup", "kind"),
    "appeal_kind": ("awards", "Appeal", "kind"),
    "appeal_status": ("awards", "Appeal", "status"),
    "nomination_status": ("awards", "Nomination", "status"),
    "nomination_level": ("awards", "Nomination", "level"),
    "nomination_kind": ("awards", "Nomination", "kind"),
}
PASSWORD_EVENTS = {"one_time": _("cấp mật khẩu dùng một lần"), "reset": _("đặt lại (mật khẩu dùng một lần)"),
                   "changed": _("người dùng tự đổi")}

# The reasons the commands record for themselves, as read on the pages.
COMMAND_REASONS = {
    "init-campaign": _("Nạp cài đặt đợt thi đua từ tệp cài đặt"),
    "load-territory": _("Nạp danh mục địa bàn hành chính"),
    "createsuperuser": _("Tạo tài khoản quản trị hệ thống"),
}


def act_reason(act: ChangeSet) -> str:
    """Return an act's reason as read on the pages: a command's own reason in words."""
    if act.source in ("cli", "demo") and act.reason in COMMAND_REASONS:
        return str(COMMAND_REASONS[act.reason])
    return act.reason


# --- names behind codes ---------------------------------------------------------------------------------------

class Names:
    """The names behind the codes of many changes. Asked once to collect what is wanted (every answer a stand-in),
    then loaded — one query per kind of name — and asked again for the answers: see `named`."""

    def __init__(self):
        self._wanted: dict[str, set] = defaultdict(set)
        self._found: dict[str, dict] | None = None

    def _get(self, kind: str, key) -> str | None:
        if self._found is None:
            self._wanted[kind].add(key)
            return None
        return self._found[kind].get(key)

    def person(self, username: str) -> str:
        """Return a user as `Full Name (username)`, or the user name alone (no full name, not an account)."""
        if not username:
            return "—"
        name = self._get("user", username)
        return f"{name} ({username})" if name else username

    def unit(self, campaign_id: int | None, code: str) -> str:
        """Return a unit as `Name (CODE)`, or its code when the campaign has no such unit."""
        name = self._get("unit", (campaign_id, code))
        return f"{name} ({code})" if name else code

    def unit_name(self, campaign_id: int | None, code: str) -> str:
        return self._get("unit", (campaign_id, code)) or code

    def officer(self, campaign_id: int | None, code: str) -> str:
        name = self._get("officer", (campaign_id, code))
        return f"{name} ({code})" if name else code

    def group(self, campaign_id: int | None, code: str) -> str:
        return self._get("group", (campaign_id, code)) or code

    def area(self, structure: str | None, code: str) -> str:
        """Return an administrative unit (province, district, commune) by name, or its code when not known."""
        return self._get("area", (structure, code)) or code

    def load(self) -> None:
        """Look up every name asked for: one query per kind asked."""
        found: dict[str, dict] = {kind: {} for kind in ("user", "unit", "officer", "group", "area")}
        wanted = self._wanted
        if wanted["user"]:
            found["user"] = {u: n for u, n in get_user_model().objects.filter(username__in=wanted["user"])
                             .values_list("username", "first_name") if n}
        for kind, (app, model, name) in {"unit": ("units", "Unit", "name"),
                                          "officer": ("units", "Officer", "full_name"),
                                          "group": ("campaigns", "CompetitionGroup", "name")}.items():
            campaigns = {c for c, _ in wanted[kind] if c is not None}  # no campaign: no unit, group or officer
            if campaigns:
                rows = apps.get_model(app, model).objects.filter(
                    campaign_id__in=campaigns, code__in={k for c, k in wanted[kind] if c is not None})
                found[kind] = {(c, k): n for c, k, n in rows.order_by().values_list("campaign_id", "code", name)}
        if wanted["area"]:
            rows = apps.get_model("territory", "AdminUnit").objects.filter(code__in={k for _, k in wanted["area"]})
            for structure, code, name in rows.values_list("structure", "code", "name").order_by("structure"):
                found["area"][structure, code] = name
                found["area"].setdefault((None, code), name)  # no campaign (no structure) to tell: the first
        self._found = found


T = TypeVar("T")


def named(build: Callable[[Names], T]) -> T:
    """Return what `build` makes with the names it needs: it runs once to collect them, once with them loaded."""
    names = Names()
    build(names)
    names.load()
    return build(names)


def people(usernames: Iterable[str]) -> dict[str, str]:
    """Return each user, by user name, as `Full Name (username)` (one query)."""
    usernames = [u for u in usernames if u]
    return named(lambda names: {u: names.person(u) for u in usernames}) if usernames else {}


# --- values -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Where:
    """What a change's codes are read against: its act's campaign (units, groups) and that campaign's structure."""

    campaign_id: int | None
    structure: str | None
    campaign_name: str = ""
    campaign_code: str = ""

    @classmethod
    def of(cls, act: ChangeSet) -> "Where":
        return cls.of_campaign(act.campaign)

    @classmethod
    def of_campaign(cls, c) -> "Where":
        return cls(c.pk, c.structure, c.name, c.code) if c is not None else cls(None, None)


_CHOICE_LABELS: dict[str, dict] = {}


def _choice(shows: str, value) -> str:
    if shows not in _CHOICE_LABELS:
        app, model, field = CHOICES[shows]
        _CHOICE_LABELS[shows] = dict(apps.get_model(app, model)._meta.get_field(field).flatchoices)
    return str(_CHOICE_LABELS[shows].get(value, value))


def _date(value) -> str:
    try:
        return vn.date(dt.date.fromisoformat(str(value)[:10]))
    except ValueError:
        return str(value)


def _instant(value) -> str:
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return f"{moment:%d/%m/%Y %H:%M}"


def _number(value) -> str:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    places = max(0, -number.as_tuple().exponent) if number.is_finite() else 0
    return vn.number(number, places) if number.is_finite() else str(value)


def _percent(value) -> str:
    try:
        hundredths = (Decimal(str(value)) * 100).normalize()
    except InvalidOperation:
        return str(value)
    return vn.percent(Decimal(str(value)), max(0, -hundredths.as_tuple().exponent)) if hundredths.is_finite() \
        else str(value)


def _yes_no(value) -> str:
    if value in ("co", "khong"):
        value = value == "co"
    return str(_("có") if value else _("không")) if isinstance(value, bool) else str(value)


def _parts(value) -> list[str]:
    return [p for p in str(value).split(";") if p]


def show(shows: str, value, names: Names, where: Where) -> str:
    """Return a recorded value as read: a label, a name, dd/mm/yyyy, 1.234, có/không; — for no value."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool) and shows != "yes_no":
        return _yes_no(value)
    match shows:
        case "number":
            return _number(value)
        case "money":
            return vn.money(int(value)) if isinstance(value, int) else _number(value)
        case "percent":
            return _percent(value)
        case "date":
            return _date(value)
        case "dates":
            items = value if isinstance(value, list) else _parts(value)
            return ", ".join(_date(d) for d in items)
        case "instant":
            return _instant(value)
        case "yes_no":
            return _yes_no(value)
        case "person":
            return names.person(str(value))
        case "unit":
            return names.unit(where.campaign_id, str(value))
        case "units":
            return ", ".join(names.unit(where.campaign_id, p) for p in _parts(value))
        case "group":
            return names.group(where.campaign_id, str(value))
        case "area":
            return names.area(where.structure, str(value))
        case "areas":
            return ", ".join(names.area(where.structure, p) for p in _parts(value))
        case "password":
            return str(PASSWORD_EVENTS.get(value, value))
        case "hash":
            return f"{str(value)[:12]}…"
        case "lines":
            return "; ".join(str(v) for v in value) if isinstance(value, list) else str(value)
        case "officer":
            return names.officer(where.campaign_id, str(value))
        case "prize":
            return vn.prize(value) if isinstance(value, int) else str(value)
        case "unit_order":
            items = value if isinstance(value, list) else [value]
            return " → ".join(names.unit(where.campaign_id, str(code)) for code in items)
        case _ if shows in CHOICES:
            return _choice(shows, value)
    return str(value)


# --- one change -------------------------------------------------------------------------------------------------

class Line(NamedTuple):
    """One field of a change: its label and its value before and after (None: no value recorded on that side)."""

    label: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class Entry:
    """One change as read: the kind of record, which record by name, and each field that changed."""

    change: Change
    kind: str
    record: str
    created: bool
    deleted: bool
    lines: tuple[Line, ...]
    actor: str  # who made the act, by name

    @property
    def act(self) -> ChangeSet:
        return self.change.changeset

    @property
    def reason(self) -> str:
        return act_reason(self.act)


def _label(entity: str, field: str) -> Field:
    return FIELDS.get(entity, {}).get(field) or Field(field.replace("_", " "), "text")


def count_title(day, machine: str, commune: str) -> str:
    """Return a count by name: `15/03/2021 · máy M001 · Phường IV` (day · machine · commune)."""
    return " · ".join([_date(day), gettext("máy %(code)s") % {"code": machine}, commune])


def record_title(entity: str, key: str, names: Names, where: Where) -> str:
    """Return which record a change is about, by name: `15/03/2021 · máy M001 · Phường IV`."""
    parts = key.split("|")
    if entity == "thu_nhan" and len(parts) == 3:
        return count_title(parts[0], parts[1], names.area(where.structure, parts[2]))
    if entity == "bao_cao" and len(parts) == 2:
        return f"{names.unit_name(where.campaign_id, parts[0])} · {_date(parts[1])}"
    if entity == "may" and len(parts) == 2:
        return gettext("máy %(code)s · từ %(day)s") % {"code": parts[0], "day": _date(parts[1])}
    if entity == "ho_tro" and len(parts) == 2:  # issue 11: planner
        return gettext("máy %(code)s · hỗ trợ từ %(day)s") % {"code": parts[0], "day": _date(parts[1])}
    if entity == "don_vi":
        return names.unit(where.campaign_id, key)
    if entity == "can_bo":
        return names.officer(where.campaign_id, key)
    if entity == "dan_so":
        return names.area(where.structure, key)
    if entity in ("campaign", "campaign.status"):
        return where.campaign_name if key == where.campaign_code and where.campaign_name else key
    if entity == "user":
        return names.person(key)
    if entity == "de_nghi":
        return gettext("Đề nghị số %(number)s") % {"number": key}
    if entity == "ket_qua_chot" and "#" in key:
        return gettext("Bản %(version)s") % {"version": key.rsplit("#", 1)[1]}
    if entity == "khieu_nai" and "#" in key:
        return gettext("Khiếu nại số %(number)s") % {"number": key.rsplit("#", 1)[1]}
    if entity == "bang_chung" and key.count("/") == 2:
        owner, number = key.split("/")[1].partition("#")[::2]
        title = (gettext("Khiếu nại số %(number)s") if owner == "khieu_nai" else
                 gettext("Đề nghị khen thưởng %(number)s")) % {"number": number}
        return gettext("%(owner)s · tệp %(id)s") % {"owner": title, "id": key.split("/")[2]}
    if entity == "phan_xu_dong_hang" and key.count("/") == 2:
        version, group, rank = key.split("#", 1)[-1].split("/")
        return gettext("%(group)s · hạng giải %(rank)s · bản %(version)s") % {
            "group": names.group(where.campaign_id, group), "rank": rank, "version": version}
    return key


def _settings_flat(settings) -> dict[tuple, object]:
    """Return every setting by its place: (key,), (table, key), ("groups", code, key), ("groups", code, "tiers",
    rank, key); groups and tiers by their code and rank, so that a reordered list is no change."""
    flat: dict[tuple, object] = {}
    if not isinstance(settings, dict):
        return {("",): settings}
    for key, value in settings.items():
        if key in SETTINGS_SHOWN_ELSEWHERE:
            continue
        if key == "groups" and isinstance(value, list):
            for group in (g for g in value if isinstance(g, dict)):
                code = group.get("code")
                for gk, gv in group.items():
                    if gk == "tiers" and isinstance(gv, list):
                        for tier in (t for t in gv if isinstance(t, dict)):
                            flat.update({("groups", code, "tiers", tier.get("rank"), tk): tv
                                         for tk, tv in tier.items() if tk != "rank"})
                    elif gk != "code":
                        flat["groups", code, gk] = gv
        elif key in PAPER_SECTIONS and isinstance(value, dict):
            flat.update({(key, *path): item for path, item in _deep(value)})
        elif isinstance(value, dict):
            flat.update({(key, sk): sv for sk, sv in value.items()})
        else:
            flat[key,] = value
    return flat


def _deep(value: dict, path: tuple = ()) -> list[tuple[tuple, object]]:
    found = []
    for key, item in value.items():
        if isinstance(item, dict):
            found += _deep(item, (*path, key))
        else:
            found.append(((*path, key), item))
    return found


PAPER_SECTIONS = ("documents", "certificate")
# The documents' wording (`[documents]`) and the certificates' print positions (`[certificate]`), by place.
DOCUMENT_PARTS = {"police": _("Cơ quan trình"), "committee": _("Cơ quan quyết định"), "proposal": _("Tờ trình"),
                  "decision": _("Quyết định"), "report": _("Báo cáo tổng kết")}
DOCUMENT_FIELDS = {
    "place": (_("Địa danh"), "text"), "plan_title": (_("Tên kế hoạch"), "text"),
    "plan_symbol": (_("Ký hiệu kế hoạch"), "text"), "plan_number": (_("Số kế hoạch"), "number"),
    "plan_date": (_("Ngày kế hoạch"), "date"), "money_source": (_("Nguồn kinh phí"), "text"),
    "proposer": (_("Người đề nghị"), "text"), "decider": (_("Thẩm quyền quyết định"), "text"),
    "executors": (_("Tổ chức thực hiện"), "text"), "lessons": (_("Bài học kinh nghiệm"), "lines"),
    "parent": (_("Cơ quan chủ quản"), "lines"), "name": (_("Tên"), "lines"), "symbol": (_("Ký hiệu"), "text"),
    "addressees": (_("Kính gửi"), "lines"), "legal_bases": (_("Căn cứ"), "lines"),
    "recipients": (_("Nơi nhận"), "lines"), "authority": (_("Thẩm quyền ký"), "lines"),
    "position": (_("Chức vụ người ký"), "text"), "signer": (_("Người ký"), "text"),
}
CERTIFICATE_PARTS = {"name": _("Tên"), "unit": _("Đơn vị"), "achievement": _("Thành tích"),
                     "decision": _("Quyết định")}
CERTIFICATE_FIELDS = {
    "page_width": (_("Khổ phôi rộng (mm)"), "number"), "page_height": (_("Khổ phôi cao (mm)"), "number"),
    "decision_symbol": (_("Ký hiệu quyết định"), "text"), "offset_x": (_("Dịch ngang khi in (mm)"), "number"),
    "offset_y": (_("Dịch dọc khi in (mm)"), "number"), "x": (_("Cách mép trái (mm)"), "number"),
    "y": (_("Cách mép trên (mm)"), "number"), "width": (_("Rộng (mm)"), "number"),
    "height": (_("Cao (mm)"), "number"), "size": (_("Cỡ chữ"), "number"), "align": (_("Căn lề"), "text"),
    "bold": (_("Chữ đậm"), "yes_no"), "italic": (_("Chữ nghiêng"), "yes_no"),
}


def _paper_field(place: tuple) -> tuple[list[str], Field]:
    """Return the prefix and the field of a place in the documents' or the certificates' settings."""
    section, *path = place
    if section == "documents":
        prefix = [str(_("Văn bản"))] + [str(DOCUMENT_PARTS[p]) for p in path[:-1] if p in DOCUMENT_PARTS]
        if len(path) > 1 and path[-2] == "signer" and path[-1] == "name":
            label, shows = _("Họ tên người ký"), "text"
        else:
            label, shows = DOCUMENT_FIELDS.get(path[-1], (str(path[-1]).replace("_", " "), "text"))
    else:
        prefix = [str(_("Bằng khen"))] + [str(CERTIFICATE_PARTS[p]) for p in path[:-1] if p in CERTIFICATE_PARTS]
        label, shows = CERTIFICATE_FIELDS.get(path[-1], (str(path[-1]).replace("_", " "), "text"))
    return prefix, Field(label, shows)


def _settings_lines(before, after, names: Names, where: Where) -> list[Line]:
    """Return a line for each setting that changed, labelled by its place (`Nhóm «Cấp huyện» · Hạng Nhất ·
    Tiền thưởng`)."""
    old, new = _settings_flat(before) if before is not None else {}, _settings_flat(after) if after else {}
    group_names = {p[1]: v for p, v in [*old.items(), *new.items()] if len(p) == 3 and p[2] == "name"}
    lines = []
    for place in dict.fromkeys([*new, *old]):
        if before is not None and old.get(place) == new.get(place):
            continue
        if before is None and new.get(place) in (None, "", []):
            continue  # a creation shows what it set
        if place[0] == "groups":
            field = SETTINGS.get(f"{'tier' if len(place) == 5 else 'group'}.{place[-1]}")
            prefix = [gettext("Nhóm «%(name)s»") % {"name": group_names.get(place[1]) or place[1]}]
            if len(place) == 5:
                prefix.append(vn.prize(place[3]) if isinstance(place[3], int) else str(place[3]))
        elif place[0] in PAPER_SECTIONS:
            prefix, field = _paper_field(place)
        else:
            field, prefix = SETTINGS.get(".".join(str(p) for p in place)), []
        field = field or Field(str(place[-1]).replace("_", " "), "text")
        label = " · ".join([*prefix, str(field.label)])
        lines.append(Line(label, show(field.shows, old[place], names, where) if place in old else None,
                          show(field.shows, new[place], names, where) if place in new else None))
    return lines


def _flat(value, prefix: str = "") -> dict[str, object]:
    if not isinstance(value, dict):
        return {prefix.rstrip("."): value}
    found: dict[str, object] = {}
    for key, item in value.items():
        found.update(_flat(item, f"{prefix}{key}."))
    return found


def _workflow_lines(old, new, names: Names, where: Where) -> list[Line]:
    """Return what a step of the lifecycle recorded, field by field (the council's approval, dates, numbers)."""
    old, new = _flat(old if isinstance(old, dict) else {}), _flat(new if isinstance(new, dict) else {})
    order = list(WORKFLOW)
    lines = []
    for place in sorted(set(old) | set(new), key=lambda p: order.index(p) if p in order else len(order)):
        if old.get(place) == new.get(place):
            continue
        field = WORKFLOW.get(place) or Field(place, "text")
        lines.append(Line(str(field.label), show(field.shows, old[place], names, where) if place in old else None,
                          show(field.shows, new[place], names, where) if place in new else None))
    return lines


def change_lines(entity: str, before, after, names: Names, where: Where) -> list[Line]:
    """Return the fields a change changed, labelled and read: for a creation every field it set, for an update every
    field whose value differs (a field recorded on one side only shows that side)."""
    if not isinstance(before, dict | None) or not isinstance(after, dict | None):  # altered by hand
        shown = [None if value is None else str(value) for value in (before, after)]
        return [Line(gettext("Giá trị"), *shown)]
    old, new = before or {}, after or {}
    order = list(FIELDS.get(entity, {}))
    fields = sorted(dict.fromkeys([*new, *old]), key=lambda f: order.index(f) if f in order else len(order))
    lines = []
    for name in fields:
        field = _label(entity, name)
        if field.shows == "settings":
            lines += _settings_lines(old.get(name) if before is not None else None, new.get(name), names, where)
            continue
        if field.shows == "workflow":
            lines += _workflow_lines(old.get(name) or {}, new.get(name) or {}, names, where)
            continue
        if before is not None and name in old and name in new and old[name] == new[name]:
            continue
        if before is None and new.get(name) in (None, ""):
            continue  # a creation shows what it set
        lines.append(Line(str(field.label), show(field.shows, old[name], names, where) if name in old else None,
                          show(field.shows, new.get(name), names, where) if after is not None else None))
    return lines


def _entry(change: Change, names: Names) -> Entry:
    act = change.changeset
    where = Where.of(act)
    return Entry(change=change, kind=str(ENTITY_LABELS.get(change.entity, change.entity)),
                 record=record_title(change.entity, change.key, names, where), created=change.before is None,
                 deleted=change.after is None, lines=tuple(change_lines(change.entity, change.before, change.after,
                                                                        names, where)),
                 actor=names.person(act.actor))


def entries(changes: Iterable[Change], names: Names) -> list[Entry]:
    """Return each change as read with these names (see `named`)."""
    return [_entry(c, names) for c in changes]


def describe(changes: Iterable[Change]) -> list[Entry]:
    """Return each change as read (its act and the act's campaign already loaded): a fixed number of queries."""
    changes = list(changes)
    return named(lambda names: entries(changes, names))


# --- one act --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SheetCount:
    """What an import did to one sheet (or a users import to its users): added, changed, unchanged."""

    what: str
    added: int | None
    changed: int | None
    unchanged: int | None


USERS_IMPORT_COUNTS = ("created", "updated", "unchanged")  # a users import's summary (accounts/services.py)
INTAKE = "thu_nhan"


def _whole(value) -> int | None:
    """Return a count as a whole number; a summary altered by hand may hold anything else: it shows empty."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def act_counts(summary) -> list[SheetCount]:
    """Return what an import did, per sheet in the workbook's order (or to its users); nothing for other acts."""
    if not isinstance(summary, dict):
        return []
    if set(USERS_IMPORT_COUNTS) <= summary.keys():
        return [SheetCount(str(_("Người dùng")), *(_whole(summary[k]) for k in USERS_IMPORT_COUNTS))]
    sheets = [s for s in ENTITY_LABELS if isinstance(summary.get(s), dict)]
    return [SheetCount(str(ENTITY_LABELS[s]), _whole(summary[s].get("added")), _whole(summary[s].get("replaced")),
                       _whole(summary[s].get("unchanged"))) for s in sheets]


def written_apart(summary) -> int:
    """Return how many records an act wrote that are no change of their own: the counts an import created (each
    linked to its act, their digest in the summary), the administrative units a territory load created or updated
    (their fingerprint in the summary)."""
    if not isinstance(summary, dict):
        return 0
    sheet, loaded = summary.get(INTAKE), summary.get("territory")
    created = (_whole(sheet.get("added")) or 0) if isinstance(sheet, dict) else 0
    if isinstance(loaded, dict):
        created += (_whole(loaded.get("created")) or 0) + (_whole(loaded.get("updated")) or 0)
    return created


def act_notes(summary, names: Names) -> list[str]:
    """Return, in words, what an act that is not a change of records did: territory loaded, key changed, history
    completed from the records as they stood."""
    if not isinstance(summary, dict):
        return []
    notes = []
    loaded = summary.get("territory")
    if isinstance(loaded, dict):
        provinces = loaded.get("provinces") if isinstance(loaded.get("provinces"), dict) else {}
        structure = loaded.get("structure")
        notes.append(gettext("Nạp địa bàn hành chính (%(structure)s) của %(provinces)s: thêm %(created)s, sửa "
                        "%(updated)s đơn vị hành chính.") % {
            "structure": _choice("structure", structure) if structure else "—",
            "provinces": ", ".join(names.area(structure, p) for p in provinces) or "—",
            "created": show("number", loaded.get("created"), names, Where(None, None)),
            "updated": show("number", loaded.get("updated"), names, Where(None, None))})
    key = summary.get("audit_key")
    if isinstance(key, dict):
        notes.append(gettext("Đổi khóa nhật ký: xác thực lại %(n)s mục bằng khóa mới.")
                     % {"n": show("number", key.get("reauthenticated"), names, Where(None, None))})
    baseline = summary.get("baseline")
    if baseline == "accounts":
        notes.append(gettext("Ghi bù vào nhật ký các tài khoản có từ trước khi nhật ký ghi tài khoản."))
    elif baseline:
        notes.append(gettext("Ghi bù vào nhật ký các bản ghi như đang có (phiên bản trước ghi thiếu)."))
    return notes
