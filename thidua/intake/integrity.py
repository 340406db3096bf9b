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

from django.db import connection, transaction

from thidua.audit.chain import changeset_seal
from thidua.audit.models import Change, ChangeSet, Source
from thidua.audit.services import changeset_open, plain, record_changes
from thidua.campaigns.models import Campaign, CompetitionGroup
from thidua.units.models import Membership, Officer, Unit

from .models import Assignment, DailyReport, EligiblePopulation

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
    rows: Callable[[], Iterable[tuple[int, str, dict]]]  # (campaign id, key, state) of every stored record
    silent_default: bool = False  # a record in its default state may be unrecorded (a new campaign, a draft report)


def _campaign_rows():
    for pk, code, name, province, structure, start, deadline, settings in Campaign.objects.values_list(
            "id", "code", "name", "province_code", "structure", "start", "deadline", "settings").iterator():
        yield pk, code, {"name": name, "province_code": province, "structure": structure, "start": _day(start),
                         "deadline": _day(deadline), "settings": plain(settings)}


def _status_rows():
    for pk, code, status in Campaign.objects.values_list("id", "code", "status").iterator():
        yield pk, code, {"status": status}


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


REPORT_DEFAULT = {"status": "draft", "late": False, "submitted_by": "", "submitted_at": None, "verified_by": "",
                  "verified_at": None}

# In the order they are checked: what others refer to first.
TRACKED = (
    Tracked("campaign", "Đợt thi đua", {"name": "tên", "province_code": "mã tỉnh", "structure": "cấu trúc địa bàn",
                                        "start": "ngày bắt đầu", "deadline": "hạn cuối",
                                        "settings": "cài đặt"}, {}, _campaign_rows),
    Tracked("campaign.status", "Trạng thái đợt thi đua", {"status": "trạng thái"}, {"status": "draft"},
            _status_rows, silent_default=True),
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
    Tracked("dan_so", "Dân số trong độ tuổi của xã", {"so_nguoi_trong_do_tuoi": "số người trong độ tuổi"}, {},
            _population_rows),
    Tracked("bao_cao", "Báo cáo ngày", {"status": "trạng thái", "late": "trễ hạn", "submitted_by": "người gửi",
                                        "submitted_at": "lúc gửi", "verified_by": "người xác nhận",
                                        "verified_at": "lúc xác nhận"}, REPORT_DEFAULT, _report_rows,
            silent_default=True),
)


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
        what = f"{self.spec.label} «{self.key}» (đợt {campaigns.get(self.campaign_id, '?')})"
        if self.stored is None:
            return f"{what} có trong nhật ký nhưng không còn trong cơ sở dữ liệu: đã bị xóa thẳng"
        if self.expected is None:
            return f"{what} có trong cơ sở dữ liệu nhưng nhật ký không ghi: đã được thêm thẳng vào cơ sở dữ liệu"
        path, stored, expected = _first_apart(self.stored[self.field], self.expected.get(self.field), self.field)
        name = self.spec.fields[self.field] + (f" ({path})" if path != self.field else "")
        return (f"{what}: {name} trong cơ sở dữ liệu là {_shown(stored)}, nhật ký ghi {_shown(expected)}: đã bị sửa "
                "thẳng trong cơ sở dữ liệu")


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
    states: dict[str, dict] = {e: {} for e in specs}
    changes = (Change.objects.filter(entity__in=specs).order_by("changeset__seq", "id")
               .values_list("changeset__campaign_id", "entity", "key", "after"))
    for campaign_id, entity, key, after in changes.iterator(chunk_size=BATCH):
        slot, known = (campaign_id, key), states[entity]
        known[slot] = None if after is None else {**(known.get(slot) or specs[entity].default), **after}
    return states


def record_differences() -> Iterator[Difference]:
    """Yield every tracked record whose stored state is not the one the history gives, kind by kind."""
    states = _replayed()
    for spec in TRACKED:
        expected_of = states[spec.entity]
        for campaign_id, key, stored in spec.rows():
            expected = expected_of.pop((campaign_id, key), None)
            if expected is None:
                if not (spec.silent_default and stored == spec.default):
                    yield Difference(spec, campaign_id, key, stored, None)
                continue
            field = next((f for f in spec.fields if stored[f] != expected.get(f, spec.default.get(f))), None)
            if field is not None:
                yield Difference(spec, campaign_id, key, stored, expected, field)
        for (campaign_id, key), expected in expected_of.items():
            if expected is not None and not (spec.silent_default and expected == spec.default):
                yield Difference(spec, campaign_id, key, None, expected)


def _groups_verify() -> str | None:
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
            return (f"nhóm thi đua «{odd[0]}» ({odd[1]}, {odd[2]}) của đợt {code} {where}: đã bị sửa thẳng trong cơ "
                    "sở dữ liệu")
    return None


def records_verify() -> str | None:
    """Check every tracked record against the history; return the first discrepancy in Vietnamese, or None."""
    campaigns = dict(Campaign.objects.values_list("id", "code"))
    first = next(record_differences(), None)
    if first is not None:
        return first.message(campaigns)
    return _groups_verify()


# --- the counts -----------------------------------------------------------------------------------------------

def _changes_by_key():
    """Return each count key's first recorded `before` (its count, or None for a creation), its last recorded count
    (None once deleted) and the keys whose creation is a recorded change; counts only, to keep millions small."""
    first_before, last_after, created = {}, {}, set()
    for key, before, after in (Change.objects.filter(entity="thu_nhan").order_by("id")
                               .values_list("key", "before", "after").iterator(chunk_size=BATCH)):
        if key not in first_before:
            first_before[key] = before.get("so_ho_so") if isinstance(before, dict) else None
            if before is None:
                created.add(key)
        last_after[key] = after.get("so_ho_so") if isinstance(after, dict) else None
    return first_before, last_after, created


def _holders():
    """Return, for each machine, its assignments as (first day, last day, team id), days as ISO text."""
    spans = defaultdict(list)
    for machine_id, start, end, team_id in Assignment.objects.values_list("machine_id", "start", "end", "team_id"):
        spans[machine_id].append((_day(start), _day(end), team_id))
    return spans


def intake_verify() -> str | None:
    """Check every count against the history, and that it counts for the team its machine was assigned to that day
    (the assignments are checked first); return the first discrepancy in Vietnamese, or None."""
    first_before, last_after, created = _changes_by_key()
    expected = {cs_id: summary.get("thu_nhan", {}).get(DIGEST_KEY) for cs_id, summary in
                ChangeSet.objects.filter(summary__has_key="thu_nhan").values_list("id", "summary")}
    spans, units = _holders(), dict(Unit.objects.values_list("id", "code"))
    digests: dict[int | None, Digest] = {}
    seen = set()  # the recorded keys found (a million imported ones need not be kept)
    with connection.chunked_cursor() as cursor:  # server-side on PostgreSQL: the rows come in batches
        cursor.execute(ALL_ROWS)
        while batch := cursor.fetchmany(BATCH):
            for (created_in, machine_id, day, commune_id, applications, machine, commune, team_id, campaign_id,
                 machine_campaign) in batch:
                day = _day(day)
                key = f"{day}|{machine}|{commune}"
                if key in last_after:
                    seen.add(key)
                    recorded = last_after[key]
                    if recorded != applications:
                        return (f"số hồ sơ ngày {day}, máy {machine}, xã {commune} là {applications}, nhật ký ghi "
                                f"{recorded}: đã bị sửa thẳng trong cơ sở dữ liệu")
                holder = None
                for first, last, team in spans[machine_id]:
                    if first <= day <= last:
                        holder = team
                        break
                if team_id != holder or campaign_id != machine_campaign:
                    held = f"thuộc tổ {units.get(holder)}" if holder else "không được phân công cho tổ nào"
                    return (f"số liệu ngày {day}, máy {machine}, xã {commune} được tính cho tổ {units.get(team_id)}, "
                            f"nhưng theo phân công máy {machine} ngày đó {held}: đã bị chuyển thẳng trong cơ sở dữ "
                            "liệu")
                if key in created:
                    continue
                before = first_before.get(key)
                digests.setdefault(created_in, Digest()).add(machine_id, day, commune_id,
                                                             applications if before is None else before)
    for key, after in last_after.items():
        if after is not None and key not in seen:
            return f"số liệu {key} có trong nhật ký nhưng không còn trong cơ sở dữ liệu: đã bị xóa thẳng"
    for act_id, digest in digests.items():
        if expected.get(act_id) != digest.value:
            return (f"các số liệu do mục #{act_id} của nhật ký tạo ra không khớp dấu vân tay đã ghi: có dòng bị "
                    "sửa, thêm hoặc xóa thẳng trong cơ sở dữ liệu")
    for act_id, value in expected.items():
        if value and act_id not in digests:
            return f"các số liệu do mục #{act_id} của nhật ký tạo ra không còn trong cơ sở dữ liệu: đã bị xóa thẳng"
    return None


def data_verify() -> str | None:
    """Check everything that decides a rank against the history: the records, then the counts."""
    return records_verify() or intake_verify()


# --- databases from before every record was tracked -----------------------------------------------------------

@transaction.atomic
def history_baseline(*, actor: str, reason: str) -> int:
    """Record the state of each tracked record the history cannot reproduce because the version that wrote it
    recorded less (a report's sender, an officer's start date, the demo's reports), one act per campaign; return how
    many records. The counts are not baselined: they were always checked, so a count that differs is refused."""
    problem = intake_verify()
    if problem:
        raise ValueError(f"Số liệu thu nhận không khớp nhật ký: {problem}.")
    by_campaign = defaultdict(list)
    for d in record_differences():
        by_campaign[d.campaign_id].append((d.spec.entity, d.key, d.expected, d.stored))
    for campaign_id, changes in by_campaign.items():
        changeset = changeset_open(campaign=Campaign.objects.filter(pk=campaign_id).first(), actor=actor,
                                   source=Source.CLI, reason=reason)
        record_changes(changeset, changes)
        changeset_seal(changeset)
    return sum(len(changes) for changes in by_campaign.values())
