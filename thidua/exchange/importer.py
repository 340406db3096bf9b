"""Importing a campaign's workbook: every rule of docs/data-formats.md, all or nothing per file.

The whole file is read first, under the readers' limits, into a temporary file, with no transaction open: a slow
or hostile file holds no database lock. Then its rows are checked and applied inside one transaction, the
campaign locked; the sheets are applied in the contract's order so that later sheets can refer to what earlier
ones create; if any row of any sheet is bad, the transaction is rolled back and the report names every bad row.
Intake rows are streamed into a staging table and compared with the stored records in SQL, so that a million
rows import in bounded memory.
"""

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, OperationalError, connection, transaction

from thidua.audit.chain import changeset_seal
from thidua.audit.models import Source
from thidua.audit.services import changeset_open, reason_problem, record_changes
from thidua.campaigns.models import Campaign, CompetitionGroup
from thidua.intake.integrity import DIGEST_KEY, created_digest
from thidua.intake.models import Assignment, EligiblePopulation, IntakeRecord, Machine, ReportStatus
from thidua.intake.rules import IntakeRules
from thidua.lib import vn
from thidua.lib.cells import CellError, is_blank, quote, read_code, read_count, read_date, read_text
from thidua.territory.models import AdminUnit, Level
from thidua.units.models import Kind, Membership, Officer, Unit

from .readers import FileRejected, SheetSource, read_source
from .schema import SHEETS_BY_NAME, UNIT_KINDS, YES_NO

STAGING_BATCH = 5000
# The rows a preview (`dry_run`) lists of what the import adds and changes; the counts cover the rest.
PLANNED_ROWS = 100
# The reference sheets (units, officers, machines, population) are held in memory while checked: a province has
# thousands of rows there, never this many.
MAX_REFERENCE_ROWS = 100_000


def _length(model, name: str = "code") -> int:
    return model._meta.get_field(name).max_length


# The columns' lengths are the database's: a longer text is named here on SQLite as on PostgreSQL.
LENGTHS = {
    "ma_don_vi": _length(Unit), "ten_don_vi": _length(Unit, "name"), "ma_don_vi_cap_tren": _length(Unit),
    "nhom_thi_dua": _length(CompetitionGroup), "ma_can_bo": _length(Officer), "ho_ten": _length(Officer, "full_name"),
    "cap_bac": _length(Officer, "rank"), "chuc_vu": _length(Officer, "position"), "ma_may": _length(Machine),
    "ma_to": _length(Unit), "ma_xa": _length(AdminUnit),
}
PLAN_CHANGED = ("Số liệu đã thay đổi từ lúc xem trước: nhập bây giờ sẽ khác với những gì đã xem trước, nên chưa nhập "
                "gì. Hãy xem lại bản xem trước mới rồi xác nhận.")
CAMPAIGN_BUSY = ("Đang có một lần nhập khác vào đợt thi đua này: chưa nhập gì. Hãy chờ lần nhập đó xong rồi thử "
                 "lại.")
DATABASE_REFUSED = ("Cơ sở dữ liệu từ chối số liệu của tệp (giá trị quá dài, quá lớn hoặc có ký tự không hợp lệ): "
                    "chưa nhập gì. Hãy kiểm tra lại tệp.")
TOO_LONG = ("Việc nhập chạy quá lâu nên đã dừng: chưa nhập gì. Hãy chia tệp thành nhiều tệp nhỏ hơn rồi nhập "
            "lần lượt.")
# PostgreSQL's codes for "lock not available" (lock_timeout) and "query canceled" (statement_timeout).
LOCK_NOT_AVAILABLE = "55P03"
QUERY_CANCELED = "57014"


@dataclass(frozen=True)
class RowError:
    sheet: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = [self.sheet]
        if self.row is not None:
            where.append(f"dòng {self.row}")
        if self.column:
            where.append(f"cột {self.column}")
        return f"{', '.join(where)}: {self.message}"


@dataclass(frozen=True)
class PlannedRow:
    """A record the import adds (`before` is None) or changes, from a row of the file: what a preview lists."""

    sheet: str
    row: int | None
    key: tuple  # the values identifying the record, as in the file (docs/import.md)
    before: dict | None
    after: dict


@dataclass
class SheetCounts:
    added: int = 0
    unchanged: int = 0
    replaced: int = 0
    rejected: int = 0


@dataclass
class ImportReport:
    file_name: str
    errors: list[RowError] = field(default_factory=list)
    counts: dict[str, SheetCounts] = field(default_factory=dict)
    ignored_sheets: list[str] = field(default_factory=list)
    empty_sheets: list[str] = field(default_factory=list)
    planned: list[PlannedRow] = field(default_factory=list)
    changeset_id: int | None = None
    sha256: str = ""
    plan: str = ""
    plan_changed: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def totals(self) -> SheetCounts:
        total = SheetCounts()
        for c in self.counts.values():
            total.added += c.added
            total.unchanged += c.unchanged
            total.replaced += c.replaced
            total.rejected += c.rejected
        return total


class _Rollback(Exception):
    """Raised inside the transaction to undo everything once errors were found."""


class _TooManyErrors(_Rollback):
    """Raised when a file has so many bad rows that naming more would only fill memory."""


class _Context:
    def __init__(self, campaign: Campaign, report: ImportReport, replace: bool, reason: str, changeset,
                 teams: frozenset[int] | None = None, planned_rows: int = 0):
        self.campaign = campaign
        self.teams = teams
        self.config = campaign.config
        self.report = report
        self.replace = replace
        self.reason = reason
        self.changeset = changeset
        self.changes: list[tuple[str, str, object, object]] = []
        self.intake_changes: list[tuple[str, str, object, object]] = []
        self.created_digest: str | None = None
        self.max_errors = settings.THIDUA_IMPORT_MAX_ERRORS
        self.planned_rows = planned_rows

    def change(self, sheet: str, row: int, key: tuple, before: dict | None, after: dict) -> None:
        """Note a change of a record of a reference sheet (`before` None: added), for the history and the plan."""
        self.changes.append((sheet, "|".join(_key_text(k) for k in key), before, after))
        self.plan(PlannedRow(sheet, row, key, before, after))

    def plan(self, planned: PlannedRow) -> None:
        """Keep a planned row for the preview, up to the rows it shows (the sheets come in order, rows too)."""
        if len(self.report.planned) < self.planned_rows:
            self.report.planned.append(planned)

    def error(self, sheet: str, row: int | None, column: str | None, message: str) -> None:
        errors = self.report.errors
        errors.append(RowError(sheet, row, column, message))
        if len(errors) >= self.max_errors:
            errors.append(RowError(sheet, None, None, f"dừng kiểm tra sau {vn.number(len(errors))} lỗi: hãy sửa "
                                                      "các lỗi này rồi nhập lại"))
            raise _TooManyErrors

    def conflict_message(self, what: str, before: str, after: str) -> str:
        return (f"{what} đã có giá trị «{before}», tệp ghi «{after}»: đây là sửa số liệu, "
                "cần nhập lại dưới dạng sửa số liệu, có ghi lý do sửa")

    def in_period(self, day: dt.date) -> bool:
        return self.config.start <= day <= self.config.deadline


def _key_text(value) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _header(ctx: _Context, sheet: SheetSource, rows) -> dict[str, int] | None:
    """Read the first row; return the position of each known column, or None after naming what is wrong."""
    spec = SHEETS_BY_NAME[sheet.name]
    try:
        number, first = next(rows)
    except StopIteration:
        ctx.error(sheet.name, 1, None, "trang trống, thiếu dòng tiêu đề")
        return None
    positions: dict[str, int] = {}
    for i, cell in enumerate(first):
        key = cell.strip() if isinstance(cell, str) else cell
        if key in spec.keys:
            if key in positions:
                ctx.error(sheet.name, number, key, "cột bị lặp lại ở dòng tiêu đề")
                return None
            positions[key] = i
    missing = [k for k in spec.required if k not in positions]
    if sheet.name == "may" and "chi_tieu" not in positions and "chi_tieu_ngay" not in positions:
        missing.append("chi_tieu hoặc chi_tieu_ngay")
    for key in missing:
        ctx.error(sheet.name, number, key, "thiếu cột bắt buộc ở dòng tiêu đề")
    return None if missing else positions


@dataclass
class _Body:
    """The rows of a sheet below its header, from the first that holds anything, and where its columns are."""

    name: str
    positions: dict[str, int]
    rows: Iterator[tuple[int, tuple]]


def _first_filled(rows) -> tuple[int, tuple] | None:
    """Return the first row with a cell that is not blank, or None: there is nothing else."""
    return next(((number, row) for number, row in rows if not all(is_blank(v) for v in row)), None)


def _body(ctx: _Context, sheet: SheetSource) -> _Body | None:
    """Return a sheet's body; None when its header is wrong (named) or it has nothing below its header: an empty
    sheet of the template, listed in the report and otherwise ignored."""
    rows = sheet.rows()
    positions = _header(ctx, sheet, rows)
    if positions is None:
        return None
    first = _first_filled(rows)
    if first is None:
        ctx.report.empty_sheets.append(sheet.name)
        return None
    return _Body(sheet.name, positions, chain([first], rows))


def _records(ctx: _Context, body: _Body):
    """Yield (row number, {column: raw value}) for each non-blank row of a small sheet."""
    positions = body.positions
    read = 0
    for number, row in body.rows:
        values = {k: (row[i] if i < len(row) else None) for k, i in positions.items()}
        if all(is_blank(v) for v in values.values()):
            continue
        read += 1
        if read > MAX_REFERENCE_ROWS:
            raise FileRejected(f"Trang {body.name} có hơn {vn.number(MAX_REFERENCE_ROWS)} dòng: một đợt thi đua "
                               "không có nhiều đơn vị, cán bộ, máy hay xã như vậy; hãy kiểm tra lại tệp.")
        yield number, values


class _Row:
    """Reads the cells of one row, collecting a message for each bad one."""

    def __init__(self, ctx: _Context, sheet: str, number: int, values: dict):
        self.ctx, self.sheet, self.number, self.values = ctx, sheet, number, values
        self.bad = False

    def has(self, key: str) -> bool:
        return key in self.values

    def fail(self, key: str | None, message: str) -> None:
        self.bad = True
        self.ctx.error(self.sheet, self.number, key, message)

    def text(self, key: str, required: bool = False, choices: tuple[str, ...] = ()) -> str | None:
        try:
            value = read_text(self.values.get(key), LENGTHS.get(key))
        except CellError as exc:
            self.fail(key, str(exc))
            return None
        if required and not value:
            self.fail(key, "ô bắt buộc đang trống")
            return None
        if value and choices and value not in choices:
            self.fail(key, f"«{quote(value)}» không hợp lệ; chỉ nhận: {', '.join(choices)}")
            return None
        return value

    def code(self, key: str, required: bool = False) -> str | None:
        """Return a code of a unit, officer, machine or group: CODE's form, within its column's length."""
        try:
            value = read_code(self.values.get(key), LENGTHS[key])
        except CellError as exc:
            self.fail(key, str(exc))
            return None
        if required and not value:
            self.fail(key, "ô bắt buộc đang trống")
            return None
        return value

    def date(self, key: str) -> dt.date | None:
        raw = self.values.get(key)
        if is_blank(raw):
            return None
        try:
            day = read_date(raw)
        except CellError as exc:
            self.fail(key, str(exc))
            return None
        if not self.ctx.in_period(day):
            c = self.ctx.config
            self.fail(key, f"ngày {day:%d/%m/%Y} nằm ngoài thời gian thi đua ({c.start:%d/%m/%Y} – "
                           f"{c.deadline:%d/%m/%Y})")
            return None
        return day

    def count(self, key: str, required: bool = False) -> int | None:
        raw = self.values.get(key)
        if is_blank(raw):
            if required:
                self.fail(key, "ô bắt buộc đang trống")
            return None
        try:
            return read_count(raw)
        except CellError as exc:
            self.fail(key, str(exc))
            return None


def _duplicate_keys(ctx: _Context, sheet: str, column: str, seen: dict, key, number: int) -> bool:
    if key in seen:
        ctx.error(sheet, number, column, f"trùng khóa với dòng {seen[key]} trong cùng tệp")
        return True
    seen[key] = number
    return False


# --- don_vi ---------------------------------------------------------------------------------------------------

def _territory_codes(ctx: _Context) -> dict[str, tuple[int, str]]:
    c = ctx.campaign
    qs = AdminUnit.objects.filter(structure=c.structure, province_code=c.province_code)
    return {code: (pk, level) for pk, code, level in qs.values_list("id", "code", "level")}


def _import_units(ctx: _Context, body: _Body) -> None:
    counts = ctx.report.counts.setdefault("don_vi", SheetCounts())
    territory = _territory_codes(ctx)
    groups = {g.code: g for g in CompetitionGroup.objects.filter(campaign=ctx.campaign)}
    existing = {u.code: u for u in Unit.objects.filter(campaign=ctx.campaign).prefetch_related("areas")}
    parsed, seen = [], {}
    for number, values in _records(ctx, body):
        r = _Row(ctx, "don_vi", number, values)
        code = r.code("ma_don_vi", required=True)
        name = r.text("ten_don_vi", required=True)
        kind = r.text("loai", required=True, choices=UNIT_KINDS)
        parent = r.code("ma_don_vi_cap_tren") if r.has("ma_don_vi_cap_tren") else None
        areas = None
        if r.has("dia_ban"):
            parts = [p.strip() for p in (r.text("dia_ban") or "").split(";") if p.strip()]
            areas = [p for p in parts if p in territory]
            unknown = [p for p in parts if p not in territory]
            if unknown:
                shown = ", ".join(f"«{quote(p)}»" for p in unknown[:5]) + (" …" if len(unknown) > 5 else "")
                r.fail("dia_ban", f"mã địa bàn {shown} không thuộc tỉnh {ctx.campaign.province_code} "
                                  f"(cấu trúc {ctx.campaign.structure})")
        group = r.code("nhom_thi_dua") if r.has("nhom_thi_dua") else None
        if group and group not in groups:
            r.fail("nhom_thi_dua", f"nhóm thi đua «{group}» không có trong đợt thi đua "
                                   f"(có: {', '.join(groups)})")
        if code and _duplicate_keys(ctx, "don_vi", "ma_don_vi", seen, code, number):
            r.bad = True
        if code and parent == code:
            r.fail("ma_don_vi_cap_tren", "đơn vị không thể là cấp trên của chính nó")
        if r.bad:
            counts.rejected += 1
            continue
        parsed.append((number, code, name, kind, parent, areas, group))

    file_codes = {p[1] for p in parsed}
    parent_of = {code: (u.parent.code if u.parent_id else None) for code, u in
                 ((u.code, u) for u in Unit.objects.filter(campaign=ctx.campaign).select_related("parent"))}
    unknown_parent: set[str] = set()
    for number, code, _name, _kind, parent, _areas, _group in parsed:
        if parent is not None:
            if parent and parent not in file_codes and parent not in existing:
                ctx.error("don_vi", number, "ma_don_vi_cap_tren", f"không có đơn vị mã «{parent}»")
                counts.rejected += 1
                unknown_parent.add(code)
            parent_of[code] = parent or None
    in_cycles = _report_cycles(ctx, parsed, parent_of)

    # Create or update in two passes: every unit first, then the parents (which may come later in the file).
    units: dict[str, Unit] = dict(existing)
    for number, code, name, kind, parent, areas, group in parsed:
        unit = units.get(code)
        group_id = groups[group].id if group else None
        after = {"ten_don_vi": name, "loai": kind}
        if parent is not None:
            after["ma_don_vi_cap_tren"] = parent
        if group is not None:
            after["nhom_thi_dua"] = group
        if areas is not None:
            after["dia_ban"] = ";".join(sorted(set(areas)))  # as stored: a code given twice is one area
        if unit is None:
            unit = Unit(campaign=ctx.campaign, code=code, name=name, kind=kind,
                        group_id=group_id if group is not None else None)
            unit.save()
            units[code] = unit
            ctx.change("don_vi", number, (code,), None, after)
            counts.added += 1
        else:
            before = {"ten_don_vi": unit.name, "loai": unit.kind,
                      "ma_don_vi_cap_tren": unit.parent.code if unit.parent_id else "",
                      "nhom_thi_dua": unit.group.code if unit.group_id else "",
                      "dia_ban": ";".join(sorted(a.code for a in unit.areas.all()))}
            before = {k: v for k, v in before.items() if k in after}
            if before == after:
                counts.unchanged += 1
                continue
            if not ctx.replace:
                changed = [k for k in after if before[k] != after[k]]
                ctx.error("don_vi", number, changed[0], ctx.conflict_message(
                    f"Đơn vị {code}: {changed[0]}", before[changed[0]], after[changed[0]]))
                counts.rejected += 1
                continue
            unit.name, unit.kind = name, kind
            if group is not None:
                unit.group_id = group_id
            unit.save()
            ctx.change("don_vi", number, (code,), before, after)
            counts.replaced += 1
        unit._import_parent = parent if code not in in_cycles and code not in unknown_parent else None
        unit._import_areas = areas
    for unit in units.values():
        parent = getattr(unit, "_import_parent", None)
        if parent is not None:
            new_parent_id = units[parent].id if parent else None
            if unit.parent_id != new_parent_id:
                unit.parent_id = new_parent_id
                unit.save(update_fields=["parent"])
        areas = getattr(unit, "_import_areas", None)
        if areas is not None:
            unit.areas.set([territory[a][0] for a in areas])


def _report_cycles(ctx: _Context, parsed, parent_of: dict[str, str | None]) -> set[str]:
    """Name each cycle the file would make in the unit tree; return the codes caught in one."""
    rows = {p[1]: p[0] for p in parsed}
    reported: set[str] = set()
    for start in rows:
        path, code = [], start
        while code is not None and code not in path:
            path.append(code)
            code = parent_of.get(code)
        if code is not None and code == start and start not in reported:
            cycle = path
            reported.update(cycle)
            ctx.error("don_vi", rows[start], "ma_don_vi_cap_tren",
                      "vòng lặp trong cây đơn vị: " + " → ".join([*cycle, start]))
            ctx.report.counts["don_vi"].rejected += 1
    return reported


# --- can_bo ---------------------------------------------------------------------------------------------------

def _import_officers(ctx: _Context, body: _Body) -> None:
    counts = ctx.report.counts.setdefault("can_bo", SheetCounts())
    units = {u.code: u for u in Unit.objects.filter(campaign=ctx.campaign)}
    existing = {o.code: o for o in Officer.objects.filter(campaign=ctx.campaign)}
    current = {m.officer_id: m for m in Membership.objects.filter(officer__campaign=ctx.campaign, end__isnull=True)
               .select_related("unit")}
    seen: dict = {}
    for number, values in _records(ctx, body):
        r = _Row(ctx, "can_bo", number, values)
        code = r.code("ma_can_bo", required=True)
        name = r.text("ho_ten", required=True)
        unit_code = r.code("ma_don_vi", required=True)
        rank = r.text("cap_bac") if r.has("cap_bac") else None
        position = r.text("chuc_vu") if r.has("chuc_vu") else None
        direct = r.text("truc_tiep_cap_cccd", choices=YES_NO) if r.has("truc_tiep_cap_cccd") else None
        since = r.date("tu_ngay")
        if unit_code and unit_code not in units:
            r.fail("ma_don_vi", f"không có đơn vị mã «{unit_code}»")
        if code and _duplicate_keys(ctx, "can_bo", "ma_can_bo", seen, code, number):
            r.bad = True
        if r.bad:
            counts.rejected += 1
            continue
        unit = units[unit_code]
        after = {"ho_ten": name}
        if rank is not None:
            after["cap_bac"] = rank
        if position is not None:
            after["chuc_vu"] = position
        if direct is not None:
            after["truc_tiep_cap_cccd"] = direct
        officer = existing.get(code)
        if officer is None:
            officer = Officer.objects.create(campaign=ctx.campaign, code=code, full_name=name, rank=rank or "",
                                             position=position or "",
                                             issues_cards=None if not direct else direct == "co")
            Membership.objects.create(officer=officer, unit=unit, start=since or ctx.config.start)
            after["ma_don_vi"], after["tu_ngay"] = unit_code, since or ctx.config.start
            ctx.change("can_bo", number, (code,), None, after)
            counts.added += 1
            continue
        before = {"ho_ten": officer.full_name, "cap_bac": officer.rank, "chuc_vu": officer.position,
                  "truc_tiep_cap_cccd": "" if officer.issues_cards is None else ("co" if officer.issues_cards
                                                                               else "khong")}
        before = {k: v for k, v in before.items() if k in after}
        membership = current.get(officer.id)
        moved = membership is None or membership.unit_id != unit.id
        if moved:
            before["ma_don_vi"] = membership.unit.code if membership else ""
            after["ma_don_vi"] = unit_code
        if before == after:
            counts.unchanged += 1
            continue
        facts_changed = [k for k in after if k != "ma_don_vi" and before[k] != after[k]]
        if facts_changed and not ctx.replace:
            k = facts_changed[0]
            ctx.error("can_bo", number, k, ctx.conflict_message(f"Cán bộ {code}: {k}", before[k], after[k]))
            counts.rejected += 1
            continue
        if moved:
            if since is not None and membership is not None:
                if since <= membership.start:
                    r.fail("tu_ngay", f"ngày chuyển {since:%d/%m/%Y} phải sau ngày vào đơn vị hiện tại "
                                      f"{membership.start:%d/%m/%Y}")
                    counts.rejected += 1
                    continue
                membership.end = since - dt.timedelta(days=1)
                membership.save(update_fields=["end"])
                Membership.objects.create(officer=officer, unit=unit, start=since)
                after["tu_ngay"] = since
            elif ctx.replace and membership is not None:
                membership.unit = unit
                membership.save(update_fields=["unit"])
            else:
                ctx.error("can_bo", number, "ma_don_vi", (
                    f"cán bộ {code} đang thuộc đơn vị «{before['ma_don_vi']}»: để ghi việc chuyển đơn vị hãy điền "
                    "ngày chuyển ở cột tu_ngay; nếu là sửa nhầm, nhập lại dưới dạng sửa số liệu, có ghi lý do sửa"))
                counts.rejected += 1
                continue
        officer.full_name = name
        if rank is not None:
            officer.rank = rank
        if position is not None:
            officer.position = position
        if direct is not None:
            officer.issues_cards = None if not direct else direct == "co"
        officer.save()
        ctx.change("can_bo", number, (code,), before, after)
        counts.replaced += 1


# --- may ------------------------------------------------------------------------------------------------------

def _import_assignments(ctx: _Context, body: _Body) -> None:
    counts = ctx.report.counts.setdefault("may", SheetCounts())
    config = ctx.config
    units = {u.code: u for u in Unit.objects.filter(campaign=ctx.campaign)}
    machines = {m.code: m for m in Machine.objects.filter(campaign=ctx.campaign)}
    stored = defaultdict(list)
    for a in Assignment.objects.filter(machine__campaign=ctx.campaign).select_related("machine", "team"):
        stored[a.machine.code].append(a)
    parsed, seen = [], {}
    for number, values in _records(ctx, body):
        r = _Row(ctx, "may", number, values)
        machine = r.code("ma_may", required=True)
        team = r.code("ma_to", required=True)
        start = r.date("tu_ngay") if not is_blank(values.get("tu_ngay")) else config.start
        end = r.date("den_ngay") if not is_blank(values.get("den_ngay")) else config.deadline
        quota = r.count("chi_tieu")
        daily = r.count("chi_tieu_ngay")
        if team:
            if team not in units:
                r.fail("ma_to", f"không có đơn vị mã «{team}»")
            elif units[team].kind != Kind.TO:
                r.fail("ma_to", f"đơn vị «{team}» không phải là tổ (loai = to)")
        if not r.bad and (quota is None) == (daily is None):
            both = quota is not None
            r.fail("chi_tieu" if both else "chi_tieu_ngay",
                   "chỉ ghi một trong hai cột chi_tieu hoặc chi_tieu_ngay" if both
                   else "cần ghi chi_tieu (tổng) hoặc chi_tieu_ngay (mỗi ngày)")
        if start and end and end < start:
            r.fail("den_ngay", f"đến ngày {end:%d/%m/%Y} trước từ ngày {start:%d/%m/%Y}")
        if machine and start and _duplicate_keys(ctx, "may", "tu_ngay", seen, (machine, start), number):
            r.bad = True
        if r.bad:
            counts.rejected += 1
            continue
        parsed.append((number, machine, units[team], start, end, quota, daily))

    # Overlaps: the file's rows against each other and against what is stored (a row replaces the stored one
    # with the same machine and start date).
    overlapping: set[int] = set()
    by_machine = defaultdict(list)
    for p in parsed:
        by_machine[p[1]].append(p)
    for machine, rows in by_machine.items():
        replaced_starts = {p[3] for p in rows}
        spans = [(p[3], p[4], f"dòng {p[0]}", p[0]) for p in rows]
        spans += [(a.start, a.end, f"phân công đã có {a.start:%d/%m/%Y}–{a.end:%d/%m/%Y} (tổ {a.team.code})", None)
                  for a in stored.get(machine, []) if a.start not in replaced_starts]
        spans.sort(key=lambda s: s[0])
        # Compare each span with the one reaching furthest so far, not only with its neighbour: one long span
        # can overlap several later ones.
        prev = spans[0]
        for cur in spans[1:]:
            if cur[0] <= prev[1]:
                number = cur[3] if cur[3] is not None else prev[3]
                other = prev[2] if cur[3] is not None else cur[2]
                ctx.error("may", number, "tu_ngay", f"máy {machine} bị phân công chồng thời gian với {other}")
                counts.rejected += 1
                overlapping.add(number)
            if cur[1] > prev[1]:
                prev = cur

    touched: set[int] = set()
    for number, code, team, start, end, quota, daily in parsed:
        if number in overlapping:
            continue
        machine = machines.get(code)
        if machine is None:
            machine = machines[code] = Machine.objects.create(campaign=ctx.campaign, code=code)
        after = {"ma_to": team.code, "tu_ngay": start, "den_ngay": end, "chi_tieu": quota, "chi_tieu_ngay": daily}
        current = next((a for a in stored.get(code, []) if a.start == start), None)
        if current is None:
            Assignment.objects.create(machine=machine, team=team, start=start, end=end, quota=quota,
                                      daily_target=daily)
            ctx.change("may", number, (code, start), None, after)
            counts.added += 1
            touched.add(machine.id)
            continue
        before = {"ma_to": current.team.code, "tu_ngay": current.start, "den_ngay": current.end,
                  "chi_tieu": current.quota, "chi_tieu_ngay": current.daily_target}
        if before == after:
            counts.unchanged += 1
            continue
        if not ctx.replace:
            k = next(k for k in after if before[k] != after[k])
            ctx.error("may", number, k, ctx.conflict_message(f"Máy {code} từ {start:%d/%m/%Y}: {k}",
                                                             _shown(before[k]), _shown(after[k])))
            counts.rejected += 1
            continue
        current.team, current.end, current.quota, current.daily_target = team, end, quota, daily
        current.save()
        ctx.change("may", number, (code, start), before, after)
        counts.replaced += 1
        touched.add(machine.id)
    if touched:
        _recheck_intake_of(ctx, touched)


def _shown(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return f"{value:%d/%m/%Y}"
    return str(value)


def _recheck_intake_of(ctx: _Context, machine_ids: set[int]) -> None:
    """Keep stored intake consistent with changed assignments: re-derive the team, refuse orphaned days."""
    spans = defaultdict(list)
    for a in Assignment.objects.filter(machine_id__in=machine_ids):
        spans[a.machine_id].append((a.start, a.end, a.team_id))
    fixes = []
    orphans = defaultdict(list)
    rows = IntakeRecord.objects.filter(machine_id__in=machine_ids).values_list("id", "machine_id", "machine__code",
                                                                               "day", "team_id")
    for pk, machine_id, code, day, team_id in rows.iterator(chunk_size=5000):
        holder = next((t for s, e, t in spans[machine_id] if s <= day <= e), None)
        if holder is None:
            orphans[code].append(day)
        elif holder != team_id:
            fixes.append((pk, holder))
    for code, days in orphans.items():
        shown = ", ".join(f"{d:%d/%m/%Y}" for d in sorted(set(days))[:5])
        ctx.error("may", None, "ma_may", f"máy {code} đã có số liệu thu nhận ngày {shown} nằm ngoài các khoảng "
                                         "phân công mới; sửa hoặc xóa số liệu đó trước")
    for pk, team_id in fixes:
        IntakeRecord.objects.filter(pk=pk).update(team_id=team_id)


# --- dan_so ---------------------------------------------------------------------------------------------------

def _import_population(ctx: _Context, body: _Body) -> None:
    counts = ctx.report.counts.setdefault("dan_so", SheetCounts())
    territory = _territory_codes(ctx)
    existing = {p.commune_id: p for p in EligiblePopulation.objects.filter(campaign=ctx.campaign)}
    seen: dict = {}
    for number, values in _records(ctx, body):
        r = _Row(ctx, "dan_so", number, values)
        code = r.code("ma_xa", required=True)
        people = r.count("so_nguoi_trong_do_tuoi", required=True)
        if code:
            found = territory.get(code)
            if found is None or found[1] != Level.COMMUNE:
                r.fail("ma_xa", f"«{code}» không phải mã xã của tỉnh {ctx.campaign.province_code}")
            elif _duplicate_keys(ctx, "dan_so", "ma_xa", seen, code, number):
                r.bad = True
        if r.bad:
            counts.rejected += 1
            continue
        commune_id = territory[code][0]
        current = existing.get(commune_id)
        if current is None:
            EligiblePopulation.objects.create(campaign=ctx.campaign, commune_id=commune_id, people=people)
            ctx.change("dan_so", number, (code,), None, {"so_nguoi_trong_do_tuoi": people})
            counts.added += 1
        elif current.people == people:
            counts.unchanged += 1
        elif not ctx.replace:
            ctx.error("dan_so", number, "so_nguoi_trong_do_tuoi",
                      ctx.conflict_message(f"Dân số xã {code}", str(current.people), str(people)))
            counts.rejected += 1
        else:
            ctx.change("dan_so", number, (code,), {"so_nguoi_trong_do_tuoi": current.people},
                       {"so_nguoi_trong_do_tuoi": people})
            current.people = people
            current.save(update_fields=["people"])
            counts.replaced += 1


# --- thu_nhan -------------------------------------------------------------------------------------------------

class _Staging:
    """A temporary table of the file's intake rows, written in batches and compared with stored records in SQL."""

    NAME = "thidua_staging_intake"

    def __init__(self):
        self.vendor = connection.vendor
        self.cursor = connection.cursor()
        self.pending: list[tuple] = []
        on_commit = " ON COMMIT DROP" if self.vendor == "postgresql" else ""
        # ON COMMIT DROP does not fire when the import runs inside an outer transaction: drop a leftover first.
        self.cursor.execute(f"DROP TABLE IF EXISTS {self.NAME}")
        # "day date" on SQLite too: the same (NUMERIC) affinity as intake_intakerecord.day, so that SQLite can
        # index o.day = r.day in the machine-day check. The values stay TEXT 'YYYY-MM-DD' (not numbers), as
        # before; with "day text" the affinities differed and the automatic index left the day out (4.5 s
        # instead of 1 s for 300,000 rows already stored).
        self.cursor.execute(
            f"CREATE TEMPORARY TABLE {self.NAME} (rownum integer, day date, machine_id bigint, "
            f"commune_id bigint, team_id bigint, applications integer){on_commit}"
        )

    def add(self, row: tuple) -> None:
        self.pending.append(row)
        if len(self.pending) >= STAGING_BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        if self.vendor == "postgresql":
            raw = self.cursor.cursor
            with raw.copy(f"COPY {self.NAME} (rownum, day, machine_id, commune_id, team_id, applications) "
                          "FROM STDIN") as copy:
                for row in self.pending:
                    copy.write_row(row)
        else:
            self.cursor.executemany(f"INSERT INTO {self.NAME} VALUES (%s, %s, %s, %s, %s, %s)", self.pending)
        self.pending = []

    def fetch(self, sql: str, params=()) -> list[tuple]:
        self.cursor.execute(sql.replace("{staging}", self.NAME), params)
        return self.cursor.fetchall()

    def execute(self, sql: str, params=()) -> int:
        self.cursor.execute(sql.replace("{staging}", self.NAME), params)
        return self.cursor.rowcount

    def close(self) -> None:
        if self.vendor != "postgresql":
            self.cursor.execute(f"DROP TABLE IF EXISTS {self.NAME}")
        self.cursor.close()


def _stage_intake(ctx: _Context, body: _Body, staging: _Staging) -> int:
    """Check every intake row and stage the good ones; return the number of rows read."""
    name = "thu_nhan"
    counts = ctx.report.counts.setdefault(name, SheetCounts())
    positions, rows = body.positions, body.rows
    rules = IntakeRules(ctx.campaign)
    check = rules.check
    i_day, i_machine, i_commune, i_count = (positions[k] for k in ("ngay", "ma_may", "ma_xa", "so_ho_so"))
    width = max(positions.values()) + 1
    adapt = connection.ops.adapt_datefield_value
    error = ctx.error
    read = 0
    for number, row in rows:
        if len(row) < width:
            row = tuple(row) + (None,) * (width - len(row))
        raw_day, raw_machine, raw_commune, raw_count = row[i_day], row[i_machine], row[i_commune], row[i_count]
        if (is_blank(raw_day) and is_blank(raw_machine) and is_blank(raw_commune) and is_blank(raw_count)):
            continue
        read += 1
        good, problems = check(raw_day, raw_machine, raw_commune, raw_count)
        if good is None:
            for column, message in problems:
                error(name, number, column, message)
            counts.rejected += 1
            continue
        if ctx.teams is not None and good.team_id not in ctx.teams:
            error(name, number, "ma_may", f"máy {raw_machine} ngày {good.day:%d/%m/%Y} thuộc một tổ ngoài phạm vi "
                                          "đơn vị của bạn")
            counts.rejected += 1
            continue
        staging.add((number, adapt(good.day), good.machine_id, good.commune_id, good.team_id, good.applications))
    staging.flush()
    return read


KEY_JOIN = "r.machine_id = s.machine_id AND r.day = s.day AND r.commune_id = s.commune_id"


def _settle_intake(ctx: _Context, staging: _Staging, read: int) -> None:
    """Find duplicates and conflicts among the staged rows; if all is well, write them."""
    name = "thu_nhan"
    counts = ctx.report.counts[name]
    limit = ctx.config.max_per_machine_day
    for rownum, first in staging.fetch(
            "SELECT s.rownum, d.first FROM {staging} s JOIN (SELECT machine_id, day, commune_id, MIN(rownum) AS first "
            "FROM {staging} GROUP BY machine_id, day, commune_id HAVING COUNT(*) > 1) d "
            "ON s.machine_id = d.machine_id AND s.day = d.day AND s.commune_id = d.commune_id "
            "WHERE s.rownum > d.first ORDER BY s.rownum"):
        ctx.error(name, rownum, "ngay", f"trùng khóa (ngay, ma_may, ma_xa) với dòng {first} trong cùng tệp")
        counts.rejected += 1
    # A machine's day counts the file's rows and the stored rows of that day the file does not replace.
    for rownum, total in staging.fetch(
            "SELECT s.rownum, d.total FROM {staging} s JOIN (SELECT machine_id, day, SUM(applications) AS total "
            "FROM (SELECT machine_id, day, applications FROM {staging} UNION ALL "
            "SELECT r.machine_id, r.day, r.applications FROM (SELECT DISTINCT machine_id, day FROM {staging}) k "
            "JOIN intake_intakerecord r ON r.machine_id = k.machine_id AND r.day = k.day "
            "LEFT JOIN {staging} o ON o.machine_id = r.machine_id AND o.day = r.day "
            "AND o.commune_id = r.commune_id "
            "WHERE o.rownum IS NULL) u GROUP BY machine_id, day HAVING SUM(applications) > %s) d "
            "ON s.machine_id = d.machine_id AND s.day = d.day ORDER BY s.rownum", (limit,)):
        ctx.error(name, rownum, "so_ho_so", f"tổng số hồ sơ của máy trong ngày này là {vn.number(total)}, "
                                            f"vượt mức tối đa {vn.number(limit)} hồ sơ một máy một ngày")
        counts.rejected += 1
    conflicts = staging.fetch(
        "SELECT s.rownum, r.id, r.applications, s.applications, r.day, m.code, c.code, s.team_id "
        "FROM {staging} s JOIN intake_intakerecord r ON " + KEY_JOIN +
        " JOIN intake_machine m ON m.id = s.machine_id JOIN territory_adminunit c ON c.id = s.commune_id "
        "WHERE r.applications <> s.applications ORDER BY s.rownum")
    if conflicts and not ctx.replace:
        for rownum, _pk, before, after, *_ in conflicts:
            ctx.error(name, rownum, "so_ho_so", ctx.conflict_message("Số hồ sơ của ngày, máy, xã này",
                                                                     str(before), str(after)))
            counts.rejected += 1
    # A verified day is locked: a row adding or changing a count of such a day is refused; the same count is not.
    for rownum, team in staging.fetch(
            "SELECT s.rownum, u.code FROM {staging} s JOIN intake_dailyreport d ON d.team_id = s.team_id "
            "AND d.day = s.day JOIN units_unit u ON u.id = s.team_id LEFT JOIN intake_intakerecord r ON " + KEY_JOIN +
            " WHERE d.status = %s AND (r.id IS NULL OR r.applications <> s.applications) ORDER BY s.rownum",
            (ReportStatus.VERIFIED.value,)):
        ctx.error(name, rownum, "ngay", f"ngày này của tổ {team} đã được xác nhận và khóa; cần PC06 mở lại để sửa")
        counts.rejected += 1
    if ctx.report.errors:
        return
    if len(ctx.report.planned) < ctx.planned_rows:
        _plan_intake(ctx, staging, conflicts)
    campaign_id, changeset_id = ctx.campaign.id, ctx.changeset.id
    # The staged keys are distinct here (duplicates were refused above) and the campaign row is locked, so
    # skipping the keys already stored through the unique index intake_key is the same as an anti-join on the
    # stored records, without its risk: where PostgreSQL believes the table empty (statistics taken when it
    # was), it planned NOT EXISTS as a nested loop over a sequential scan of the table being filled by the very
    # same statement — quadratic (388 s for 200,000 rows). "WHERE true" lets SQLite parse ON CONFLICT here.
    added = staging.execute(
        "INSERT INTO intake_intakerecord (campaign_id, day, machine_id, commune_id, team_id, applications, "
        "changeset_id, created_in_id) SELECT %s, s.day, s.machine_id, s.commune_id, s.team_id, s.applications, %s, %s "
        "FROM {staging} s WHERE true ON CONFLICT (machine_id, day, commune_id) DO NOTHING",
        (campaign_id, changeset_id, changeset_id))
    changes = []
    for _rownum, pk, before, after, day, machine, commune, team_id in conflicts:
        IntakeRecord.objects.filter(pk=pk).update(applications=after, team_id=team_id, changeset_id=changeset_id)
        changes.append(("thu_nhan", f"{_as_date(day).isoformat()}|{machine}|{commune}", {"so_ho_so": before},
                        {"so_ho_so": after}))
    record_changes(ctx.changeset, changes)
    ctx.intake_changes.extend(changes)
    if added:
        # The created counts are not each a Change: their digest goes into the act (see intake/integrity.py).
        ctx.created_digest = created_digest(changeset_id)
    counts.added += added
    counts.replaced += len(conflicts)
    counts.unchanged += read - counts.rejected - added - len(conflicts)


def _plan_intake(ctx: _Context, staging: _Staging, conflicts: list[tuple]) -> None:
    """Keep, for the preview, the first staged rows (in the file's order) that add a count or change one."""
    room = ctx.planned_rows - len(ctx.report.planned)
    added = staging.fetch(
        "SELECT a.rownum, a.day, m.code, c.code, a.applications FROM (SELECT s.rownum, s.day, s.machine_id, "
        "s.commune_id, s.applications FROM {staging} s LEFT JOIN intake_intakerecord r ON " + KEY_JOIN +
        " WHERE r.id IS NULL ORDER BY s.rownum LIMIT %s) a JOIN intake_machine m ON m.id = a.machine_id "
        "JOIN territory_adminunit c ON c.id = a.commune_id", (room,))
    planned = [PlannedRow("thu_nhan", rownum, (_as_date(day), machine, commune), None, {"so_ho_so": count})
               for rownum, day, machine, commune, count in added]
    planned += [PlannedRow("thu_nhan", rownum, (_as_date(day), machine, commune), {"so_ho_so": before},
                           {"so_ho_so": after})
                for rownum, _pk, before, after, day, machine, commune, _team in conflicts[:room]]
    for row in sorted(planned, key=lambda p: p.row)[:room]:
        ctx.plan(row)


def _as_date(value) -> dt.date:
    """Return a day read back from the database (SQLite's cursor gives its text)."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


# --- the command's service ------------------------------------------------------------------------------------

def _refuse_filled(ctx: _Context, sheet: SheetSource) -> None:
    """Name the first filled row of a sheet other than thu_nhan in a district's or team's file; an empty one (the
    template's, a header and nothing else) is listed and ignored."""
    rows = sheet.rows()
    next(rows, None)
    first = _first_filled(rows)
    if first is None:
        ctx.report.empty_sheets.append(sheet.name)
    else:
        ctx.error(sheet.name, first[0], None, "đơn vị của bạn chỉ được nhập trang thu_nhan (số liệu thu nhận của "
                                              "các tổ mình): hãy xóa các dòng của trang này, hoặc xóa trang")


SHEET_ORDER = {name: i for i, name in enumerate(SHEETS_BY_NAME)}


def _error_order(error: RowError) -> tuple:
    """Order errors as the file reads: what concerns the whole file first, then the sheets in the contract's order,
    each by row (what concerns a whole sheet after its rows) and by column; found in that order or not."""
    spec = SHEETS_BY_NAME.get(error.sheet)
    if spec is None:
        return (-1, 0, 0, 0)
    column = spec.keys.index(error.column) if error.column in spec.keys else -1
    return (SHEET_ORDER[error.sheet], error.row is None, error.row or 0, column)


HANDLERS = {
    "don_vi": _import_units,
    "can_bo": _import_officers,
    "may": _import_assignments,
    "dan_so": _import_population,
}


def _sha256(path: Path) -> str:
    if path.is_dir():
        digest = hashlib.sha256()
        for child in sorted(p for p in path.iterdir() if p.is_file()):
            digest.update(child.name.encode())
            digest.update(_sha256(child).encode())
        return digest.hexdigest()
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fingerprint(ctx: _Context) -> str:
    """Return the SHA-256 of what the import does: the file, the options, every sheet's counts, every change of a
    stored record (before and after) and the digest of the counts it creates."""
    plan = {
        "file": ctx.report.sha256, "replace": ctx.replace, "reason": ctx.reason,
        "teams": sorted(ctx.teams) if ctx.teams is not None else None,
        "counts": {name: vars(counts) for name, counts in ctx.report.counts.items()},
        "changes": [*ctx.changes, *ctx.intake_changes], "created": ctx.created_digest,
    }
    text = json.dumps(plan, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _limit_waits() -> None:
    """Bound, on PostgreSQL, how long this import waits for the campaign and how long a statement of it may run
    (see docs/import.md); the settings hold for this transaction only."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('lock_timeout', %s, true), set_config('statement_timeout', %s, true), "
                       "set_config('idle_in_transaction_session_timeout', %s, true)",
                       [f"{settings.THIDUA_IMPORT_LOCK_TIMEOUT}s", f"{settings.THIDUA_IMPORT_STATEMENT_TIMEOUT}s",
                        f"{settings.THIDUA_IMPORT_IDLE_TIMEOUT}s"])


def _stopped(exc: OperationalError) -> str | None:
    """Return why the database stopped the import, if it stopped it on purpose: it would not wait any longer for
    the campaign (another import holds it), or a statement ran too long."""
    code = getattr(exc.__cause__, "sqlstate", None)
    if code == LOCK_NOT_AVAILABLE or (connection.vendor == "sqlite" and "locked" in str(exc)):
        return CAMPAIGN_BUSY
    return TOO_LONG if code == QUERY_CANCELED else None


def _refuse_closed(report: ImportReport, campaign: Campaign, path: Path) -> None:
    report.errors.append(RowError(path.name, None, None, f"đợt thi đua đang ở trạng thái "
                                  f"«{campaign.get_status_display()}»: số liệu đã khóa"))


def workbook_import(*, campaign: Campaign, path: str | Path, actor: str, replace: bool = False, reason: str = "",
                    source: str = Source.IMPORT, teams: frozenset[int] | None = None,
                    dry_run: bool = False, expected_plan: str | None = None,
                    read_seconds: float | None = None) -> ImportReport:
    """Import a workbook, CSV folder or .zip into a campaign; all or nothing. Return the report.

    A correction (a stored value changed) is refused unless `replace` is set with a `reason`. `teams` limits the
    file to intake rows of those teams (a district's or a team's own import); `dry_run` checks everything and
    counts what would change, then changes nothing (the preview of the web import). The report's `plan` is a
    fingerprint of what the import does; `expected_plan` refuses to apply anything but the plan a preview showed
    (the data changed in between: `plan_changed`, nothing written). Reading the file stops past `read_seconds`
    (default THIDUA_IMPORT_READ_SECONDS; 0: no deadline).
    """
    path = Path(path)
    report = ImportReport(file_name=path.name)
    if replace and not reason.strip():
        report.errors.append(RowError(path.name, None, None, "sửa số liệu cần ghi lý do sửa"))
        return report
    problem = reason_problem(reason.strip())
    if problem:
        report.errors.append(RowError(path.name, None, None, problem))
        return report
    if read_seconds is None:
        read_seconds = settings.THIDUA_IMPORT_READ_SECONDS
    try:
        if not Campaign.objects.get(pk=campaign.pk).accepts_data:
            # Said before the file is read (and again under the lock, where it counts).
            _refuse_closed(report, campaign, path)
            raise _Rollback
        with read_source(path, seconds=read_seconds or None) as src:
            report.ignored_sheets = src.ignored
            report.sha256 = _sha256(path)
            with transaction.atomic():
                _limit_waits()
                locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
                if not locked.accepts_data:
                    _refuse_closed(report, locked, path)
                    raise _Rollback
                changeset = changeset_open(campaign=locked, actor=actor, source=source, reason=reason.strip(),
                                           file_name=path.name, file_sha256=report.sha256)
                ctx = _Context(locked, report, replace, reason.strip(), changeset, teams,
                               planned_rows=PLANNED_ROWS if dry_run else 0)
                sheets = src.sheets
                if teams is not None:
                    for sheet in sheets:
                        if sheet.name != "thu_nhan":
                            _refuse_filled(ctx, sheet)
                    if report.errors:
                        raise _Rollback
                    sheets = [sheet for sheet in sheets if sheet.name == "thu_nhan"]
                for sheet in sheets:
                    body = _body(ctx, sheet)
                    if body is None:
                        continue
                    if sheet.name in HANDLERS:
                        HANDLERS[sheet.name](ctx, body)
                    else:
                        staging = _Staging()
                        try:
                            read = _stage_intake(ctx, body, staging)
                            _settle_intake(ctx, staging, read)
                        finally:
                            staging.close()
                if report.errors:
                    raise _Rollback
                report.plan = _fingerprint(ctx)
                if expected_plan is not None and expected_plan != report.plan:
                    report.plan_changed = True
                    report.errors.append(RowError(path.name, None, None, PLAN_CHANGED))
                    raise _Rollback
                totals = report.totals()
                if totals.added + totals.replaced == 0 or dry_run:
                    # Nothing to keep: a file already imported (no empty act in the history), a preview.
                    raise _Rollback
                record_changes(changeset, ctx.changes)
                changeset.summary = {k: vars(v) for k, v in report.counts.items()}
                if ctx.created_digest:
                    changeset.summary["thu_nhan"][DIGEST_KEY] = ctx.created_digest
                changeset.save(update_fields=["summary"])
                changeset_seal(changeset)
                report.changeset_id = changeset.id
    except _Rollback:
        pass
    except FileRejected as exc:
        report.errors.append(RowError(path.name, None, None, str(exc)))
    except OperationalError as exc:
        if (why := _stopped(exc)) is None:
            raise
        report.errors.append(RowError(path.name, None, None, why))
    except DatabaseError:
        # The checks above keep every value within its column: this is a last guard, never a server error.
        report.errors.append(RowError(path.name, None, None, DATABASE_REFUSED))
    if report.errors:
        report.changeset_id = None
        report.planned = []
        report.errors.sort(key=_error_order)
    return report
