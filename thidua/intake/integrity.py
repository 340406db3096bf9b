"""The data that decides a rank, checked against the history: whatever was changed, added or removed directly in
the database (bypassing the services, which record every change) is found and named.

The history's changes, replayed in the chain's order, give the state every tracked record must have now: the
campaign's settings, dates and status; its units (parent, kind, competition group, area); its officers' current
unit; the machines' assignments (team, dates, quota or daily target); the eligible population; every daily report's
status and who sent and verified it. A record the history does not know, one it knows that is gone, and the first
field that differs are named. What follows from those needs no record of its own: the competition groups are the
ones of the campaign's settings, and a count belongs to the team its machine was assigned to that day.

The counts themselves: a count entered on a page or through the API has its creation and every correction recorded
as changes (the last `after` is its value now); a count an import created is covered by a digest of all the rows
that import created, written into the import's act (its `summary`, which the act's hash covers) — a million imported
rows need no million changes. A count an import created and someone corrected later starts from the `before` of its
first correction.
"""

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection, transaction

from thidua.audit.chain import changeset_seal
from thidua.audit.models import Change, ChangeSet, Source
from thidua.audit.services import changeset_open, plain, record_changes
from thidua.campaigns.models import Campaign, CompetitionGroup
from thidua.territory.models import AdminUnit
from thidua.territory.selectors import territory_digests, territory_sealed
from thidua.units.models import Membership, Officer, Unit

from .models import Assignment, DailyReport, EligiblePopulation, SupportDeployment

# The rows an act created, in the digest's order: ids and dates order the same on every database.
CREATED_ROWS = ("SELECT r.machine_id, r.day, r.commune_id, r.applications FROM intake_intakerecord r "
                "WHERE r.created_in_id = %s ORDER BY r.machine_id, r.day, r.commune_id")
ALL_ROWS = ("SELECT r.created_in_id, r.machine_id, r.day, r.commune_id, r.applications, m.code, c.code, "
            "r.team_id, r.campaign_id, m.campaign_id "
            "FROM intake_intakerecord r JOIN intake_machine m ON m.id = r.machine_id "
            "JOIN territory_adminunit c ON c.id = r.commune_id "
            "ORDER BY r.created_in_id, r.machine_id, r.day, r.commune_id")
DIGEST_KEY = "created_sha256"
BATCH = 5000
SHOWN_CHARS = 80


class Digest:
    """A SHA-256 over rows (machine id, day, commune id, applications) given in the order above."""

    def __init__(self):
        self._hash = hashlib.sha256()
        self.rows = 0

    def add(self, machine_id, day, commune_id, applications) -> None:
        self._hash.update(f"{machine_id}|{str(day)[:10]}|{commune_id}|{applications}\n".encode())
        self.rows += 1

    @property
    def value(self) -> str:
        return f"{self.rows}:{self._hash.hexdigest()}"


def created_digest(changeset_id: int) -> str:
    """Return the digest of the counts an act created, as they are now (called by the import, before sealing)."""
    digest = Digest()
    with connection.chunked_cursor() as cursor:  # server-side on PostgreSQL: the rows come in batches
        cursor.execute(CREATED_ROWS, [changeset_id])
        while batch := cursor.fetchmany(BATCH):
            for row in batch:
                digest.add(*row)
    return digest.value


# --- the records of the history, replayed ---------------------------------------------------------------------

def instant(value: dt.datetime | None) -> str | None:
    """Return a moment as the history records it: UTC, to the microsecond (as the database keeps it)."""
    return None if value is None else value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _day(value) -> str:
    return str(value)[:10]


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("co" if value else "khong")


@dataclass(frozen=True)
class Tracked:
    """A kind of record the history reproduces: how its changes are named and what its stored rows are."""

    entity: str  # Change.entity
    label: str  # what a message calls one record
    fields: dict[str, str]  # the state's keys (as the history writes them) and their names in messages
    default: dict  # a record's state before its first change: a creation records only the fields it sets
    rows: Callable[[], Iterable[tuple[int | None, str, dict]]]  # (campaign id, key, state) of every stored record
    silent_default: bool = False  # a record in its default state may be unrecorded (a new campaign, a draft report)
    # Codes are unique per campaign, and so the records of each campaign are its own; user names and token prefixes
    # are unique in the whole installation (their `rows` give the campaign of the account's unit, to show them).
    per_campaign: bool = True
    # What an act implies beyond the fields it records: (state, the act's `after`, the act's campaign code).
    implied: Callable[[dict, dict, str | None], None] | None = None
    # Fields a version before did not record, and the value a history that never mentions them gives.
    unrecorded: dict | None = None

    def expected(self, state: dict, field: str):
        """Return a field's value as the history gives it (a field its changes never set: the default)."""
        return state.get(field, self.default.get(field, (self.unrecorded or {}).get(field)))


def _campaign_rows():
    for pk, code, name, province, structure, start, deadline, settings, synthetic in Campaign.objects.values_list(
            "id", "code", "name", "province_code", "structure", "start", "deadline", "settings",
            "synthetic").iterator():
        yield pk, code, {"name": name, "province_code": province, "structure": structure, "start": _day(start),
                         "deadline": _day(deadline), "settings": plain(settings), "synthetic": synthetic}


def _status_rows():
    for pk, code, status, workflow in Campaign.objects.values_list("id", "code", "status", "workflow").iterator():
        yield pk, code, {"status": status, "workflow": workflow}


def _snapshot_rows():
    """The frozen standings: the hash of the JSON as stored now (an edited JSON shows as another hash)."""
    from thidua.awards.models import Snapshot

    for campaign_id, code, version, as_of, data, appeal in Snapshot.objects.values_list(
            "campaign_id", "campaign__code", "version", "as_of", "data", "appeal__number").iterator():
        yield campaign_id, f"{code}#{version}", {"version": version, "as_of": _day(as_of), "appeal": appeal,
                                                 "sha256": hashlib.sha256(data.encode("utf-8")).hexdigest()}


def _ruling_rows():
    from thidua.awards.models import TieRuling

    for campaign_id, code, version, group, prize_rank, order in TieRuling.objects.values_list(
            "campaign_id", "campaign__code", "snapshot__version", "group", "prize_rank", "order").iterator():
        yield campaign_id, f"{code}#{version}/{group}/{prize_rank}", {"order": order, "snapshot": version}


def _nomination_rows():
    from thidua.awards.models import Nomination

    for row in Nomination.objects.values(
            "pk", "campaign_id", "status", "level", "kind", "nominating_unit__code", "group", "tier", "place",
            "officer__code", "unit__code", "achievements", "review_reason").iterator():
        yield row["campaign_id"], str(row["pk"]), {
            "status": row["status"], "level": row["level"], "kind": row["kind"],
            "nominating_unit": row["nominating_unit__code"], "group": row["group"], "tier": row["tier"],
            "place": row["place"], "officer": row["officer__code"], "unit": row["unit__code"],
            "achievements": row["achievements"], "review_reason": row["review_reason"]}


def _appeal_rows():
    from thidua.awards.models import Appeal

    for row in Appeal.objects.values(
            "campaign_id", "campaign__code", "number", "kind", "unit__code", "team__code", "day", "machine__code",
            "commune__code", "current_value", "expected_value", "rule", "reason", "status", "decided_by",
            "decision_reason", "snapshot_before__version", "snapshot_after__version").iterator():
        yield row["campaign_id"], f"{row['campaign__code']}#{row['number']}", {
            "loai": row["kind"], "don_vi_gui": row["unit__code"], "ma_to": row["team__code"],
            "ngay": _day(row["day"]) if row["day"] else None,
            "ma_may": row["machine__code"], "ma_xa": row["commune__code"], "so_dang_ghi": row["current_value"],
            "so_mong_muon": row["expected_value"], "cach_tinh": row["rule"], "ly_do": row["reason"],
            "trang_thai": row["status"], "nguoi_giai_quyet": row["decided_by"] or None,
            "ly_do_giai_quyet": row["decision_reason"], "ban_chot_truoc": row["snapshot_before__version"],
            "ban_chot_sau": row["snapshot_after__version"]}


def _evidence_rows():
    from thidua.awards.models import Evidence

    for row in Evidence.objects.values("pk", "campaign_id", "campaign__code", "appeal__number", "nomination_id",
                                       "name", "content_type", "size", "sha256", "note").iterator():
        owner = (f"khieu_nai#{row['appeal__number']}" if row["appeal__number"] is not None
                 else f"de_nghi#{row['nomination_id']}")
        yield row["campaign_id"], f"{row['campaign__code']}/{owner}/{row['pk']}", {
            "ten_tep": row["name"], "loai_tep": row["content_type"], "dung_luong": row["size"],
            "sha256": row["sha256"], "ghi_chu": row["note"]}


def _document_rows():
    from thidua.awards.models import IssuedDocument

    for row in IssuedDocument.objects.values("campaign_id", "campaign__code", "kind", "version", "number", "date",
                                             "file_name", "sha256", "size", "snapshot__version").iterator():
        yield row["campaign_id"], f"{row['campaign__code']}/{row['kind']}#{row['version']}", {
            "kind": row["kind"], "version": row["version"], "number": row["number"], "date": _day(row["date"]),
            "file_name": row["file_name"], "sha256": row["sha256"], "size": row["size"],
            "snapshot": row["snapshot__version"]}


def _elsewhere(code: str | None, own: int, its: int | None) -> str:
    """Return a related record's code as the history names it, marked when it belongs to another campaign."""
    if code is None:
        return ""
    return code if its == own else f"{code} (của đợt thi đua khác)"


def _unit_rows():
    areas = defaultdict(list)
    for unit_id, code in Unit.areas.through.objects.values_list("unit_id", "adminunit__code").iterator():
        areas[unit_id].append(code)
    for pk, campaign_id, code, name, kind, parent, parent_campaign, group, group_campaign in (
            Unit.objects.values_list("id", "campaign_id", "code", "name", "kind", "parent__code",
                                     "parent__campaign_id", "group__code", "group__campaign_id").iterator()):
        yield campaign_id, code, {
            "ten_don_vi": name, "loai": kind, "ma_don_vi_cap_tren": _elsewhere(parent, campaign_id, parent_campaign),
            "nhom_thi_dua": _elsewhere(group, campaign_id, group_campaign), "dia_ban": ";".join(sorted(areas[pk]))}


def _officer_rows():
    current = defaultdict(list)
    for officer_id, unit, unit_campaign, officer_campaign, start in Membership.objects.filter(
            end__isnull=True).values_list("officer_id", "unit__code", "unit__campaign_id", "officer__campaign_id",
                                          "start").iterator():
        current[officer_id].append((_elsewhere(unit, officer_campaign, unit_campaign), _day(start)))
    for pk, campaign_id, code, name, rank, position, issues in Officer.objects.values_list(
            "id", "campaign_id", "code", "full_name", "rank", "position", "issues_cards").iterator():
        held = sorted(current[pk])
        yield campaign_id, code, {
            "ho_ten": name, "cap_bac": rank, "chuc_vu": position, "truc_tiep_cap_cccd": _yes_no(issues),
            "ma_don_vi": ";".join(u for u, _ in held), "tu_ngay": ";".join(s for _, s in held) or None}


def _assignment_rows():
    for campaign_id, machine, start, end, team, team_campaign, quota, daily in Assignment.objects.values_list(
            "machine__campaign_id", "machine__code", "start", "end", "team__code", "team__campaign_id", "quota",
            "daily_target").iterator():
        yield campaign_id, f"{machine}|{_day(start)}", {
            "ma_to": _elsewhere(team, campaign_id, team_campaign), "tu_ngay": _day(start), "den_ngay": _day(end),
            "chi_tieu": quota, "chi_tieu_ngay": daily}


def _population_rows():
    for campaign_id, commune, people in EligiblePopulation.objects.values_list(
            "campaign_id", "commune__code", "people").iterator():
        yield campaign_id, commune, {"so_nguoi_trong_do_tuoi": people}


def _deployment_rows():
    """The support deployments (thidua/monitoring/support.py records them)."""
    for row in SupportDeployment.objects.values(
            "campaign_id", "machine__code", "receiver__code", "receiver__campaign_id", "start", "end", "ended_early_on",
            "reason", "end_reason").iterator():
        yield row["campaign_id"], f"{row['machine__code']}|{_day(row['start'])}", {
            "ma_may": row["machine__code"],
            "don_vi_nhan": _elsewhere(row["receiver__code"], row["campaign_id"], row["receiver__campaign_id"]),
            "tu_ngay": _day(row["start"]), "den_ngay": _day(row["end"]),
            "ket_thuc_som": _day(row["ended_early_on"]) if row["ended_early_on"] else None,
            "ly_do": row["reason"], "ly_do_ket_thuc": row["end_reason"]}


def report_state(report: DailyReport) -> dict:
    """Return a daily report's state as the history records it (every step records the whole of it)."""
    return {"status": report.status, "late": report.late, "submitted_by": report.submitted_by,
            "submitted_at": instant(report.submitted_at), "verified_by": report.verified_by,
            "verified_at": instant(report.verified_at)}


def _report_rows():
    for campaign_id, team, team_campaign, day, *state in DailyReport.objects.values_list(
            "campaign_id", "team__code", "team__campaign_id", "day", "status", "late", "submitted_by",
            "submitted_at", "verified_by", "verified_at").iterator(chunk_size=BATCH):
        status, late, submitted_by, submitted_at, verified_by, verified_at = state
        yield campaign_id, f"{_elsewhere(team, campaign_id, team_campaign)}|{_day(day)}", {
            "status": status, "late": late, "submitted_by": submitted_by, "submitted_at": instant(submitted_at),
            "verified_by": verified_by, "verified_at": instant(verified_at)}


# The accounts: who may act, and where. Read through the app registry: the accounts and the API build on this app.

def _user_rows():
    users = get_user_model().objects.values_list(
        "username", "first_name", "is_active", "is_superuser", "is_staff", "profile__role", "profile__unit__code",
        "profile__unit__campaign_id", "profile__unit__campaign__code", "profile__must_change_password")
    for username, name, active, superuser, staff, role, unit, campaign_id, campaign, one_time in users.iterator():
        yield campaign_id, username, {
            "role": role, "unit": unit, "unit_campaign": campaign, "full_name": name, "active": active,
            "superuser": superuser, "staff": staff, "must_change_password": bool(one_time)}


def _user_implied(state: dict, after: dict, campaign: str | None) -> None:
    """Complete a user's state from an act: a unit is one of the act's campaign (the services record the act in
    the campaign of the unit they bind to); a one-time password is to be changed, a password chosen is not."""
    if "unit" in after:
        state["unit_campaign"] = campaign if after["unit"] is not None else None
    if "password" in after and "must_change_password" not in after:
        state["must_change_password"] = after["password"] != "changed"


def _token_rows():
    tokens = apps.get_model("api", "ApiToken").objects.values_list(
        "prefix", "name", "secret_hash", "revoked_at", "user__username", "user__profile__unit__campaign_id")
    for prefix, name, secret_hash, revoked_at, username, campaign_id in tokens.iterator():
        yield campaign_id, prefix, {"user": username, "name": name, "secret_sha256": secret_hash,
                                    "revoked": revoked_at is not None}


USER_DEFAULT = {"role": None, "unit": None, "unit_campaign": None, "full_name": "", "active": True,
                "superuser": False, "staff": False, "must_change_password": False}


REPORT_DEFAULT = {"status": "draft", "late": False, "submitted_by": "", "submitted_at": None, "verified_by": "",
                  "verified_at": None}

# In the order they are checked: what others refer to first.
TRACKED = (
    Tracked("campaign", "Đợt thi đua", {"name": "tên", "province_code": "mã tỉnh", "structure": "cấu trúc địa bàn",
                                        "start": "ngày bắt đầu", "deadline": "hạn cuối", "settings": "cài đặt",
                                        "synthetic": "đánh dấu dữ liệu mô phỏng"}, {}, _campaign_rows,
            unrecorded={"synthetic": False}),  # a campaign made before the mark was recorded: real data
    Tracked("campaign.status", "Trạng thái đợt thi đua", {"status": "trạng thái", "workflow": "các bước đã ghi"},
            {"status": "draft", "workflow": {}},
            _status_rows, silent_default=True),
    Tracked("ket_qua_chot", "Bản chốt kết quả", {"version": "bản", "as_of": "tính đến ngày", "appeal": "khiếu nại",
                                                 "sha256": "mã SHA-256 của nội dung"}, {"appeal": None},
            _snapshot_rows),
    Tracked("phan_xu_dong_hang", "Phán quyết đồng hạng", {"order": "thứ tự", "snapshot": "bản chốt"}, {},
            _ruling_rows),
    Tracked("khieu_nai", "Khiếu nại", {"loai": "loại", "don_vi_gui": "đơn vị gửi", "ma_to": "tổ", "ngay": "ngày",
                                       "ma_may": "máy", "ma_xa": "xã", "so_dang_ghi": "số đang ghi",
                                       "so_mong_muon": "số đề nghị", "cach_tinh": "cách tính điểm", "ly_do": "lý do",
                                       "trang_thai": "trạng thái", "nguoi_giai_quyet": "người giải quyết",
                                       "ly_do_giai_quyet": "lý do giải quyết", "ban_chot_truoc": "bản chốt trước",
                                       "ban_chot_sau": "bản chốt sau"}, {}, _appeal_rows),
    Tracked("de_nghi", "Đề nghị khen thưởng", {"status": "trạng thái", "level": "cấp", "kind": "loại",
                                                "nominating_unit": "đơn vị đề nghị", "group": "nhóm", "tier": "giải",
                                                "place": "suất", "officer": "cán bộ", "unit": "tập thể",
                                                "achievements": "thành tích", "review_reason": "lý do trả lại"},
            {}, _nomination_rows),
    Tracked("bang_chung", "Tệp bằng chứng", {"ten_tep": "tên tệp", "loai_tep": "loại tệp", "dung_luong": "dung lượng",
                                              "sha256": "mã SHA-256", "ghi_chu": "ghi chú"}, {}, _evidence_rows),
    Tracked("van_ban", "Văn bản đã ban hành", {"kind": "loại", "version": "bản", "number": "số", "date": "ngày",
                                               "file_name": "tệp", "sha256": "mã SHA-256", "size": "dung lượng",
                                               "snapshot": "bản chốt kết quả"}, {}, _document_rows),
    Tracked("don_vi", "Đơn vị", {"ten_don_vi": "tên", "loai": "loại", "ma_don_vi_cap_tren": "đơn vị cấp trên",
                                 "nhom_thi_dua": "nhóm thi đua", "dia_ban": "địa bàn"},
            {"ma_don_vi_cap_tren": "", "nhom_thi_dua": "", "dia_ban": ""}, _unit_rows),
    Tracked("can_bo", "Cán bộ", {"ho_ten": "họ tên", "cap_bac": "cấp bậc", "chuc_vu": "chức vụ",
                                 "truc_tiep_cap_cccd": "trực tiếp cấp CCCD", "ma_don_vi": "đơn vị",
                                 "tu_ngay": "ngày vào đơn vị"},
            {"cap_bac": "", "chuc_vu": "", "truc_tiep_cap_cccd": "", "tu_ngay": None}, _officer_rows),
    Tracked("may", "Phân công máy", {"ma_to": "tổ", "tu_ngay": "từ ngày", "den_ngay": "đến ngày",
                                     "chi_tieu": "chỉ tiêu", "chi_tieu_ngay": "chỉ tiêu ngày"}, {},
            _assignment_rows),
    Tracked("ho_tro", "Điều động máy hỗ trợ", {"ma_may": "máy", "don_vi_nhan": "đơn vị được hỗ trợ",
                                               "tu_ngay": "từ ngày", "den_ngay": "đến ngày",
                                               "ket_thuc_som": "kết thúc sớm ngày", "ly_do": "lý do",
                                               "ly_do_ket_thuc": "lý do kết thúc sớm"},
            {"ket_thuc_som": None, "ly_do_ket_thuc": ""}, _deployment_rows),
    Tracked("dan_so", "Dân số trong độ tuổi của xã", {"so_nguoi_trong_do_tuoi": "số người trong độ tuổi"}, {},
            _population_rows),
    Tracked("bao_cao", "Báo cáo ngày", {"status": "trạng thái", "late": "trễ hạn", "submitted_by": "người gửi",
                                        "submitted_at": "lúc gửi", "verified_by": "người xác nhận",
                                        "verified_at": "lúc xác nhận"}, REPORT_DEFAULT, _report_rows,
            silent_default=True),
    Tracked("user", "Người dùng", {"superuser": "quyền superuser", "staff": "quyền vào trang quản trị hệ thống",
                                   "active": "hoạt động", "role": "vai trò", "unit": "đơn vị",
                                   "unit_campaign": "đợt thi đua của đơn vị", "full_name": "họ tên",
                                   "must_change_password": "phải đổi mật khẩu"},
            USER_DEFAULT, _user_rows, per_campaign=False, implied=_user_implied),
    Tracked("api_token", "Khóa API", {"user": "tài khoản", "secret_sha256": "mã băm của khóa", "revoked": "đã thu hồi",
                                      "name": "tên"}, {"revoked": False}, _token_rows, per_campaign=False),
)


@dataclass(frozen=True)
class Discrepancy:
    """What verify found first: its message in Vietnamese, and the campaign of the record it names (None: a record
    of the whole installation, an account or the territory), so that a page shows it only to whoever sees it."""

    message: str
    campaign_id: int | None


@dataclass(frozen=True)
class Difference:
    """A record whose stored state is not the one the history gives: `stored` None when it is gone, `expected` None
    when the history does not know it, else the first field that differs."""

    spec: Tracked
    campaign_id: int | None
    key: str
    stored: dict | None
    expected: dict | None
    field: str | None = None

    def message(self, campaigns: dict[int, str]) -> str:
        what = f"{self.spec.label} «{self.key}»"
        if self.spec.per_campaign:
            what += f" (đợt {campaigns.get(self.campaign_id, '?')})"
        if self.stored is None:
            return f"{what} có trong nhật ký nhưng không còn trong cơ sở dữ liệu: đã bị xóa thẳng"
        older = ("; hoặc, nếu nó có từ trước phiên bản ghi nó vào nhật ký, chạy `thidua audit seal-legacy` một lần "
                 "để ghi bù" if _older_record(self) is not None else "")
        if self.expected is None:
            return (f"{what} có trong cơ sở dữ liệu nhưng nhật ký không ghi: đã được thêm thẳng vào cơ sở dữ liệu"
                    f"{older}")
        path, stored, expected = _first_apart(self.stored[self.field], self.spec.expected(self.expected, self.field),
                                              self.field)
        name = self.spec.fields[self.field] + (f" ({path})" if path != self.field else "")
        return (f"{what}: {name} trong cơ sở dữ liệu là {_shown(stored)}, nhật ký ghi {_shown(expected)}: đã bị sửa "
                f"thẳng trong cơ sở dữ liệu{older}")


def _first_apart(stored, expected, path: str):
    """Return the first place where two values differ (a nested setting), with both values there."""
    if isinstance(stored, dict) and isinstance(expected, dict):
        for k in sorted(set(stored) | set(expected), key=str):
            if stored.get(k) != expected.get(k):
                return _first_apart(stored.get(k), expected.get(k), f"{path}.{k}")
    if isinstance(stored, list) and isinstance(expected, list) and len(stored) == len(expected):
        for i, (a, b) in enumerate(zip(stored, expected, strict=True)):
            if a != b:
                return _first_apart(a, b, f"{path}[{i}]")
    return path, stored, expected


def _shown(value) -> str:
    if value is None or value == "":
        return "(trống)"
    if isinstance(value, bool):
        return "«có»" if value else "«không»"
    text = str(value)
    return f"«{text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + '…'}»"


def _replayed() -> dict[str, dict[tuple[int | None, str], dict | None]]:
    """Replay every change of the tracked records in the chain's order: the state each must have now (None: deleted)."""
    specs = {s.entity: s for s in TRACKED}
    campaigns = dict(Campaign.objects.values_list("id", "code"))
    states: dict[str, dict] = {e: {} for e in specs}
    changes = (Change.objects.filter(entity__in=specs).order_by("changeset__seq", "id")
               .values_list("changeset__campaign_id", "entity", "key", "after"))
    for campaign_id, entity, key, after in changes.iterator(chunk_size=BATCH):
        spec, known = specs[entity], states[entity]
        slot = (campaign_id if spec.per_campaign else None, key)
        if after is None:
            known[slot] = None
            continue
        state = {**(known.get(slot) or spec.default), **after}
        if spec.implied is not None:
            spec.implied(state, after, campaigns.get(campaign_id))
        known[slot] = state
    return states


def record_differences() -> Iterator[Difference]:
    """Yield every tracked record whose stored state is not the one the history gives, kind by kind."""
    states = _replayed()
    for spec in TRACKED:
        expected_of = states[spec.entity]
        for campaign_id, key, stored in spec.rows():
            expected = expected_of.pop((campaign_id if spec.per_campaign else None, key), None)
            if expected is None:
                if not (spec.silent_default and stored == spec.default):
                    yield Difference(spec, campaign_id, key, stored, None)
                continue
            field = next((f for f in spec.fields if stored[f] != spec.expected(expected, f)), None)
            if field is not None:
                yield Difference(spec, campaign_id, key, stored, expected, field)
        for (campaign_id, key), expected in expected_of.items():
            if expected is not None and not (spec.silent_default and expected == spec.default):
                yield Difference(spec, campaign_id, key, None, expected)


def _groups_discrepancy() -> Discrepancy | None:
    """Check each campaign's competition groups against its settings (themselves checked against the history)."""
    stored = defaultdict(set)
    for campaign_id, code, name, kind in CompetitionGroup.objects.values_list("campaign_id", "code", "name", "kind"):
        stored[campaign_id].add((code, name, kind))
    for pk, code, settings in Campaign.objects.values_list("id", "code", "settings"):
        wanted = {(g["code"], g["name"], g["kind"]) for g in settings.get("groups", [])}
        if stored[pk] != wanted:
            odd = sorted(stored[pk] ^ wanted)[0]
            where = "có trong cơ sở dữ liệu nhưng không có" if odd in stored[pk] else "có trong cài đặt nhưng không có"
            where += " trong cài đặt đã ghi nhật ký" if odd in stored[pk] else " trong cơ sở dữ liệu"
            return Discrepancy(f"nhóm thi đua «{odd[0]}» ({odd[1]}, {odd[2]}) của đợt {code} {where}: đã bị sửa thẳng "
                               "trong cơ sở dữ liệu", pk)
    return None


def _records_discrepancy() -> Discrepancy | None:
    campaigns = dict(Campaign.objects.values_list("id", "code"))
    first = next(record_differences(), None)
    if first is not None:
        return Discrepancy(first.message(campaigns), first.campaign_id)
    return _groups_discrepancy()


def records_verify() -> str | None:
    """Check every tracked record against the history; return the first discrepancy in Vietnamese, or None."""
    found = _records_discrepancy()
    return None if found is None else found.message


# --- the territory --------------------------------------------------------------------------------------------

def territory_discrepancy() -> Discrepancy | None:
    """Check each province's administrative units against the fingerprint its last load sealed in the history (a
    commune moved to another district decides which unit's area it is in)."""
    stored, sealed = territory_digests(), territory_sealed()
    for structure, province in sorted(set(stored) | set(sealed)):
        act_id, digest = sealed.get((structure, province), (None, None))
        if stored.get((structure, province)) == digest:
            continue
        what = f"Địa bàn hành chính của tỉnh {province} (cấu trúc {structure})"
        load = f"`thidua load-territory --province {province} --structure {structure}`"
        if digest is None:
            return Discrepancy(f"{what} chưa được ghi vào nhật ký: chạy {load}, lệnh đối chiếu nó với dữ liệu gốc (gói "
                               "vietnamadminunits) và ghi dấu vân tay của nó vào nhật ký", None)
        if (structure, province) not in stored:
            return Discrepancy(f"{what} có trong nhật ký (mục #{act_id}) nhưng không còn trong cơ sở dữ liệu: đã bị "
                               "xóa thẳng", None)
        return Discrepancy(f"{what} không khớp dấu vân tay ghi ở mục #{act_id} của nhật ký: có đơn vị hành chính bị "
                           f"sửa, thêm hoặc xóa thẳng trong cơ sở dữ liệu ({load} đưa chúng về dữ liệu gốc)", None)
    return None


# --- the counts -----------------------------------------------------------------------------------------------

def _changes_by_key():
    """Return, for each count (its campaign and key: keys are unique per campaign only), its first recorded `before`
    (its count, or None for a creation), its last recorded count (None once deleted) and, for the counts whose
    creation is a recorded change, the act that created them; counts only, to keep millions small. In the chain's
    order, as the acts were sealed."""
    first_before, last_after, created = {}, {}, {}
    for act_id, campaign_id, key, before, after in (
            Change.objects.filter(entity="thu_nhan").order_by("changeset__seq", "id")
            .values_list("changeset_id", "changeset__campaign_id", "key", "before", "after")
            .iterator(chunk_size=BATCH)):
        slot = (campaign_id, key)
        if slot not in first_before:
            first_before[slot] = before.get("so_ho_so") if isinstance(before, dict) else None
            if before is None:
                created[slot] = act_id
        last_after[slot] = after.get("so_ho_so") if isinstance(after, dict) else None
    return first_before, last_after, created


def _named(units: dict, pk: int | None, own: int) -> str:
    """Return a unit's code from {id: (code, campaign id)}, marked when it belongs to another campaign than `own`."""
    code, its = units.get(pk, (None, None))
    return _elsewhere(code, own, its)


def _holders():
    """Return, for each machine, its assignments as (first day, last day, team id), days as ISO text."""
    spans = defaultdict(list)
    for machine_id, start, end, team_id in Assignment.objects.values_list("machine_id", "start", "end", "team_id"):
        spans[machine_id].append((_day(start), _day(end), team_id))
    return spans


def _intake_discrepancy() -> Discrepancy | None:
    """Check every count against its campaign's history, and that it counts for its machine's campaign and for the
    team its machine was assigned to that day (the assignments are checked first); return the first discrepancy."""
    first_before, last_after, created = _changes_by_key()
    expected = {cs_id: (campaign_id, summary.get("thu_nhan", {}).get(DIGEST_KEY)) for cs_id, campaign_id, summary in
                ChangeSet.objects.filter(summary__has_key="thu_nhan").values_list("id", "campaign_id", "summary")}
    spans = _holders()
    units = {pk: (code, campaign_id) for pk, code, campaign_id in Unit.objects.values_list("id", "code", "campaign_id")}
    campaigns = dict(Campaign.objects.values_list("id", "code"))
    digests: dict[int | None, Digest] = {}
    seen = set()  # the recorded counts found (a million imported ones need not be kept)
    with connection.chunked_cursor() as cursor:  # server-side on PostgreSQL: the rows come in batches
        cursor.execute(ALL_ROWS)
        while batch := cursor.fetchmany(BATCH):
            for (created_in, machine_id, day, commune_id, applications, machine, commune, team_id, campaign_id,
                 machine_campaign) in batch:
                day = _day(day)
                # A count is its machine's: a count moved to another campaign is named below, not taken for one
                # of that campaign.
                slot = (machine_campaign, f"{day}|{machine}|{commune}")
                where = f"của đợt {campaigns.get(machine_campaign, '?')} ngày {day}, máy {machine}, xã {commune}"
                if slot in last_after:
                    seen.add(slot)
                    recorded = last_after[slot]
                    if recorded != applications:
                        return Discrepancy(f"số hồ sơ {where} là {applications}, nhật ký ghi {recorded}: đã bị sửa "
                                           "thẳng trong cơ sở dữ liệu", machine_campaign)
                if campaign_id != machine_campaign:
                    return Discrepancy(f"số liệu {where} được tính cho đợt {campaigns.get(campaign_id, '?')}: đã bị "
                                       "chuyển thẳng trong cơ sở dữ liệu", machine_campaign)
                holder = next((team for first, last, team in spans[machine_id] if first <= day <= last), None)
                if team_id != holder:
                    held = (f"thuộc tổ {_named(units, holder, machine_campaign)}" if holder
                            else "không được phân công cho tổ nào")
                    counted = _named(units, team_id, machine_campaign)
                    return Discrepancy(f"số liệu {where} được tính cho tổ {counted}, nhưng theo phân công máy "
                                       f"{machine} ngày đó {held}: đã bị chuyển thẳng trong cơ sở dữ liệu",
                                       machine_campaign)
                if slot in created:
                    # The act a count names as its creator is shown with it (the act's page): it must be the one
                    # the history records.
                    if created_in != created[slot]:
                        return Discrepancy(f"số liệu {where} ghi là do mục #{created_in} của nhật ký tạo ra, nhật ký "
                                           f"ghi mục #{created[slot]}: đã bị sửa thẳng trong cơ sở dữ liệu",
                                           machine_campaign)
                    continue
                before = first_before.get(slot)
                digests.setdefault(created_in, Digest()).add(machine_id, day, commune_id,
                                                             applications if before is None else before)
    for (campaign_id, key), after in last_after.items():
        if after is not None and (campaign_id, key) not in seen:
            return Discrepancy(f"số liệu {key} (đợt {campaigns.get(campaign_id, '?')}) có trong nhật ký nhưng không "
                               "còn trong cơ sở dữ liệu: đã bị xóa thẳng", campaign_id)
    for act_id, digest in digests.items():
        campaign_id, value = expected.get(act_id, (None, None))
        if value != digest.value:
            return Discrepancy(f"các số liệu do mục #{act_id} của nhật ký tạo ra không khớp dấu vân tay đã ghi: có "
                               "dòng bị sửa, thêm hoặc xóa thẳng trong cơ sở dữ liệu", campaign_id)
    for act_id, (campaign_id, value) in expected.items():
        if value and act_id not in digests:
            return Discrepancy(f"các số liệu do mục #{act_id} của nhật ký tạo ra không còn trong cơ sở dữ liệu: đã bị "
                               "xóa thẳng", campaign_id)
    return None


# The team-day and commune-day totals the standings and the forecasts read (kept by triggers, intake migrations 0007
# and 0009) against the records they sum: the totals without records that sum to them, then the records' keys without
# a total.
def _totals_off(table: str, key: str) -> str:
    return (
        f"SELECT t.campaign_id, t.{key}, t.day, t.applications, t.records, r.n, r.c FROM {table} t "
        f"LEFT JOIN (SELECT campaign_id, {key}, day, SUM(applications) AS n, COUNT(*) AS c FROM intake_intakerecord "
        f"GROUP BY campaign_id, {key}, day) r ON r.campaign_id = t.campaign_id AND r.{key} = t.{key} "
        "AND r.day = t.day WHERE r.n IS NULL OR r.n <> t.applications OR r.c <> t.records "
        "UNION ALL "
        f"SELECT r.campaign_id, r.{key}, r.day, NULL, NULL, SUM(r.applications), COUNT(*) FROM intake_intakerecord r "
        f"LEFT JOIN {table} t ON t.campaign_id = r.campaign_id AND t.{key} = r.{key} AND t.day = r.day "
        f"WHERE t.id IS NULL GROUP BY r.campaign_id, r.{key}, r.day")


TOTALS_OFF = _totals_off("intake_teamdaytotal", "team_id")
COMMUNE_TOTALS_OFF = _totals_off("intake_communedaytotal", "commune_id")
# Each kind of total: its check, how its key is named, and what reads it.
_TOTALS = ((TOTALS_OFF, Unit, "tổ", "bảng xếp hạng"), (COMMUNE_TOTALS_OFF, AdminUnit, "xã", "dự báo"))


def _totals_discrepancy() -> Discrepancy | None:
    """Check every team-day and commune-day total against the records it sums; return the first that differs."""
    for sql, model, noun, reader in _TOTALS:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            row = cursor.fetchone()
        if row is None:
            continue
        campaign_id, pk, day, total, records, summed, counted = row
        code = model.objects.filter(pk=pk).values_list("code", flat=True).first() or f"#{pk}"
        where = f"{noun} {code} ngày {dt.date.fromisoformat(_day(day)):%d/%m/%Y}"
        if total is None:
            return Discrepancy(f"số liệu thu nhận của {where} ({summed} hồ sơ, {counted} bản ghi) không có trong bảng "
                               f"tổng theo {noun} và ngày mà {reader} đọc: bảng tổng đã bị sửa thẳng trong cơ sở dữ "
                               "liệu", campaign_id)
        return Discrepancy(f"bảng tổng theo {noun} và ngày ghi {where} {total} hồ sơ ({records} bản ghi), các bản ghi "
                           f"thu nhận cộng lại {summed or 0} hồ sơ ({counted or 0} bản ghi): bảng tổng đã bị sửa thẳng "
                           "trong cơ sở dữ liệu", campaign_id)
    return None


def intake_verify() -> str | None:
    """Check every count against the history; return the first discrepancy in Vietnamese, or None."""
    found = _intake_discrepancy()
    return None if found is None else found.message


def data_discrepancy() -> Discrepancy | None:
    """Check everything that decides a rank or who may act against the history: the territory, the records, the
    counts, then the team-day and commune-day totals against the counts; return the first discrepancy, with its
    campaign."""
    return territory_discrepancy() or _records_discrepancy() or _intake_discrepancy() or _totals_discrepancy()


def data_verify() -> str | None:
    """Check everything against the history (data_discrepancy); return the first discrepancy in Vietnamese, or None."""
    found = data_discrepancy()
    return None if found is None else found.message


# --- databases from before every record was tracked -----------------------------------------------------------

# The mark of an act that records records as they stood (a baseline): the accounts' baseline is taken once; a
# campaign's demo mark is recorded once by nature (its history mentions the flag from then on).
BASELINE_KEY = "baseline"
ACCOUNTS_BASELINE = "accounts"
SYNTHETIC_BASELINE = "synthetic"
ACCOUNT_KINDS = ("user", "api_token")


def _baseline_write(by_campaign: dict, *, actor: str, reason: str, what: str) -> int:
    """Record, one act per campaign, the (entity, key, before, after) given; return how many records."""
    for campaign_id, changes in by_campaign.items():
        changeset = changeset_open(campaign=Campaign.objects.filter(pk=campaign_id).first(), actor=actor,
                                   source=Source.CLI, reason=reason)
        record_changes(changeset, changes)
        changeset.summary = {BASELINE_KEY: what}
        changeset.save(update_fields=["summary"])
        changeset_seal(changeset)
    return sum(len(changes) for changes in by_campaign.values())


def _recorded_state(d: Difference) -> dict | None:
    """Return a record's stored state as an act records it (what the replay implies left out; None: it is gone)."""
    if d.stored is None or d.spec.entity != "user":
        return d.stored
    return {k: v for k, v in d.stored.items() if k != "unit_campaign"}


@transaction.atomic
def history_baseline(*, actor: str, reason: str) -> int:
    """Record the state of each tracked record the history cannot reproduce because the version that wrote it
    recorded less (a report's sender, an officer's start date, the demo's reports, the accounts), one act per
    campaign; return how many records. The counts are not baselined: they were always checked, so a count that
    differs is refused."""
    problem = intake_verify()
    if problem:
        raise ValueError(f"Số liệu thu nhận không khớp nhật ký: {problem}.")
    by_campaign = defaultdict(list)
    for d in record_differences():
        by_campaign[d.campaign_id].append((d.spec.entity, d.key, d.expected, _recorded_state(d)))
    return _baseline_write(by_campaign, actor=actor, reason=reason, what="all")


def _older_record(d: Difference) -> tuple | None:
    """Return the change recording a record as the older version left it, or None when the difference is not one
    that version could leave: a user it did not know (made by Django's createsuperuser), a token whose secret's hash
    it did not record, a campaign marked synthetic (the demo's) whose history never mentions the mark."""
    if d.spec.entity == "user" and d.expected is None:
        return "user", d.key, None, _recorded_state(d)
    if d.spec.entity == "api_token" and d.stored is not None and d.expected is not None and \
            "secret_sha256" not in d.expected and d.field == "secret_sha256" and \
            all(d.stored[f] == d.spec.expected(d.expected, f) for f in d.spec.fields if f != d.field):
        return "api_token", d.key, {"secret_sha256": None}, {"secret_sha256": d.stored["secret_sha256"]}
    # The mark is the last field compared: every other field of the campaign matches its history.
    if d.spec.entity == "campaign" and d.field == "synthetic" and "synthetic" not in d.expected and \
            d.stored["synthetic"] is True:
        return "campaign", d.key, {"synthetic": False}, {"synthetic": True}
    return None


@transaction.atomic
def older_baseline(*, actor: str, reason: str) -> int:
    """Record, after upgrading from a version that did not record them, the records the history cannot reproduce:
    the users Django's createsuperuser made and the hashes of the secrets of the API tokens made before (once), and
    the demo's campaigns marked synthetic; return how many. Refused when any other record differs from the history:
    no older version left that."""
    campaigns = dict(Campaign.objects.values_list("id", "code"))
    accounts, marks, other = defaultdict(list), defaultdict(list), None
    for d in record_differences():
        change = _older_record(d)
        if change is not None:
            (accounts if change[0] in ACCOUNT_KINDS else marks)[d.campaign_id].append(change)
        elif other is None:
            other = d
    if not accounts and not marks:
        return 0
    if other is not None:
        raise ValueError(f"Không ghi bù: {other.message(campaigns)}; phiên bản trước không để lại chỗ khác này.")
    if accounts and ChangeSet.objects.filter(summary__has_key=BASELINE_KEY).exclude(
            summary__baseline=SYNTHETIC_BASELINE).exists():
        raise ValueError("Tài khoản đã được ghi bù vào nhật ký một lần rồi: không ghi bù lần nữa; mọi tài khoản "
                         "`thidua audit verify` chỉ ra sau đó đã bị sửa thẳng trong cơ sở dữ liệu.")
    found = territory_discrepancy() or _groups_discrepancy() or _intake_discrepancy()
    if found is not None:
        raise ValueError(f"Dữ liệu không khớp nhật ký: {found.message}.")
    return (_baseline_write(accounts, actor=actor, reason=reason, what=ACCOUNTS_BASELINE)
            + _baseline_write(marks, actor=actor, reason=reason, what=SYNTHETIC_BASELINE))
