"""Reading a CSV file of users and planning what it changes; nothing here writes (services.users_import does).

The file (Vietnamese column keys, like the workbook contract of data-formats.md):

| column | required | meaning |
|---|---|---|
| `ten_dang_nhap` | yes | user name: letters without accents, digits and `. @ + - _` |
| `ho_ten` | yes | full name |
| `vai_tro` | yes | `quan_tri`, `pc06`, `hoi_dong`, `cong_an_huyen`, `to`, `xem` or their Vietnamese labels |
| `ma_don_vi` | yes (may be empty) | the unit's code in the campaign; empty only for quan_tri, pc06, hoi_dong, xem |
| `hoat_dong` | no | `co` / `khong`; empty or absent: a new user is active, an existing one stays as it is |

UTF-8 with or without a BOM, comma or semicolon between cells, the header in row 1; rows are numbered as a
spreadsheet shows them (the first user is row 2).
"""

import csv
import hashlib
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.utils import translation

from thidua.lib.sheets import csv_unescape
from thidua.units.models import Unit

from .models import CAMPAIGN_WIDE_ROLES, Role
from .scopes import SELF_DEACTIVATE, lockout_error

MAX_BYTES = 1024 * 1024
COLUMNS = ("ten_dang_nhap", "ho_ten", "vai_tro", "ma_don_vi", "hoat_dong")
REQUIRED_COLUMNS = ("ten_dang_nhap", "ho_ten", "vai_tro", "ma_don_vi")
USERNAME = re.compile(r"\A[A-Za-z0-9.@+_-]{1,150}\Z")
NAME_MAX = 150
CELL_MAX = 150  # no column holds more (user names and full names are 150 at most)
YES = {"co", "có"}
NOT_MANAGED = ("tài khoản «{username}» không thuộc phạm vi quản lý của bạn: không sửa được ở đây; người dùng mới "
               "cần tên đăng nhập khác")
NO = {"khong", "không"}
with translation.override("vi"):  # the file's role names are the Vietnamese ones, whatever the page's language
    ROLE_NAMES = {**{r.value.casefold(): r.value for r in Role},
                  **{str(r.label).casefold(): r.value for r in Role}}
    ROLE_LABELS = ", ".join(str(label) for label in Role.labels)


@dataclass(frozen=True)
class RowError:
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = [f"dòng {self.row}"] if self.row is not None else []
        if self.column:
            where.append(f"cột {self.column}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


@dataclass
class ImportRow:
    """One user of the file and what importing it does: create, update (the differing fields) or nothing."""

    row: int
    username: str
    full_name: str
    role: str
    unit: Unit | None
    active: bool
    action: str  # "create", "update" or "unchanged"
    before: dict | None = None  # update: the stored values of the fields that differ
    after: dict = field(default_factory=dict)  # create: every field; update: the new values of those that differ
    user: object = None

    @property
    def role_label(self) -> str:
        return Role(self.role).label


@dataclass
class UsersImportReport:
    file_name: str
    sha256: str
    campaign_code: str
    errors: list[RowError] = field(default_factory=list)
    rows: list[ImportRow] = field(default_factory=list)
    passwords: list[tuple[str, str, str]] = field(default_factory=list)  # (user name, full name, one-time password)
    changeset_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def fail(self, row: int | None, column: str | None, message: str) -> None:
        self.errors.append(RowError(row, column, message))

    def _of(self, action: str) -> list[ImportRow]:
        return [r for r in self.rows if r.action == action]

    @property
    def creates(self) -> list[ImportRow]:
        return self._of("create")

    @property
    def updates(self) -> list[ImportRow]:
        return self._of("update")

    @property
    def unchanged(self) -> list[ImportRow]:
        return self._of("unchanged")

    @property
    def needs_reason(self) -> bool:
        """Say whether applying the file changes the role or unit of an existing user (a reason is then due)."""
        return any("role" in r.after or "unit" in r.after for r in self.updates)

    @property
    def fingerprint(self) -> str:
        """Return the SHA-256 of what the import would do, so that a confirmation applies what was previewed."""
        plan = [[r.username, r.action, r.before, r.after] for r in self.rows if r.action != "unchanged"]
        text = json.dumps([self.campaign_code, self.sha256, plan], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()


def control_character(text: str) -> str | None:
    """Return the first control character of a text as `U+XXXX` (None: there is none).

    Control characters (NUL, tab, line breaks…) belong in no user name, full name or reason; PostgreSQL refuses NUL.
    """
    found = next((c for c in text if unicodedata.category(c) == "Cc"), None)
    return None if found is None else f"U+{ord(found):04X}"


def text_error(text: str, max_length: int) -> str | None:
    """Return why a text cannot be stored in a column of this length (None: it can)."""
    code = control_character(text)
    if code:
        return f"có ký tự điều khiển ({code}), không được phép: hãy xóa nó"
    if len(text) > max_length:
        return f"dài {len(text)} ký tự; tối đa {max_length}"
    return None


def _csv_error(exc: csv.Error) -> str:
    if "field larger than field limit" in str(exc):
        return f"có ô dài hơn {csv.field_size_limit()} ký tự: không đọc được như CSV"
    return "không đọc được như CSV: kiểm tra các dấu ngoặc kép"


def _clean(cell: str) -> str:
    # Vietnamese typed on some systems arrives decomposed (NFD): compare and store it composed. A cell the users'
    # CSV export escaped from formulas (`?dot=`, lib/sheets.py) is read back as it was.
    return csv_unescape(unicodedata.normalize("NFC", cell).strip())


def _records(report: UsersImportReport, data: bytes):
    """Yield (row number, {column: text}) for each non-blank row, after naming what is wrong with the header."""
    if len(data) > MAX_BYTES:
        report.fail(None, None, f"tệp quá lớn ({len(data) / 1024:.0f} KiB; tối đa {MAX_BYTES // 1024} KiB)")
        return
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        report.fail(line, None, "không phải văn bản UTF-8; hãy lưu tệp CSV dạng UTF-8")
        return
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [_clean(c).lower() for c in next(reader)]
    except StopIteration:
        report.fail(1, None, "tệp trống, thiếu dòng tiêu đề")
        return
    except csv.Error as exc:
        report.fail(1, None, _csv_error(exc))
        return
    if any(control_character(key) for key in header):
        report.fail(1, None, "dòng tiêu đề có ký tự điều khiển: chép lại dòng tiêu đề của tệp mẫu")
        return
    positions: dict[str, int] = {}
    for i, key in enumerate(header):
        if not key:
            continue
        if key not in COLUMNS:
            report.fail(1, key, f"cột không có trong mẫu; các cột: {', '.join(COLUMNS)}")
        elif key in positions:
            report.fail(1, key, "cột bị lặp lại ở dòng tiêu đề")
        else:
            positions[key] = i
    for key in REQUIRED_COLUMNS:
        if key not in positions:
            report.fail(1, key, "thiếu cột bắt buộc ở dòng tiêu đề")
    if report.errors:
        return
    width = max(positions.values()) + 1
    number = 1
    try:
        for number, cells in enumerate(reader, start=2):
            cells = [_clean(c) for c in cells]
            if not any(cells):
                continue
            if any(cells[len(header):]):
                report.fail(number, None, f"dòng có {len(cells)} ô, dòng tiêu đề có {len(header)}: kiểm tra dấu "
                                          f"phân cách «{delimiter}» (ô có dấu «{delimiter}» cần đặt trong ngoặc kép)")
                continue
            cells += [""] * (width - len(cells))
            values = {k: cells[i] for k, i in positions.items()}
            # A bad cell is named here, before any value of its row reaches a query or a page.
            errors = [(k, text_error(v, CELL_MAX)) for k, v in values.items()]
            for key, message in errors:
                if message:
                    report.fail(number, key, message)
            if not any(message for _, message in errors):
                yield number, values
    except csv.Error as exc:
        report.fail(number + 1, None, _csv_error(exc))


def plan_users_import(*, campaign, data: bytes, file_name: str, actor: str, manager=None) -> UsersImportReport:
    """Check every row of the file and say what importing it would do; write nothing."""
    report = UsersImportReport(file_name=file_name, sha256=hashlib.sha256(data).hexdigest(),
                               campaign_code=campaign.code)
    records = list(_records(report, data))
    if report.errors:
        return report
    units = {u.code: u for u in Unit.objects.filter(campaign=campaign)}
    names = [values["ten_dang_nhap"] for _, values in records]
    existing = {u.username: u for u in get_user_model().objects.filter(username__in=names)
                .select_related("profile__unit__campaign")}
    seen: dict[str, int] = {}
    for number, values in records:
        row = _plan_row(report, number, values, units, existing, seen, campaign, actor, manager)
        if row is not None:
            report.rows.append(row)
    if not report.rows and not report.errors:
        report.fail(None, None, "tệp không có dòng người dùng nào")
    return report


def _plan_row(report, number, values, units, existing, seen, campaign, actor, manager) -> ImportRow | None:
    errors_before = len(report.errors)

    def fail(column, message):
        report.fail(number, column, message)

    username = values["ten_dang_nhap"]
    if not username:
        fail("ten_dang_nhap", "ô bắt buộc đang trống")
    elif not USERNAME.match(username):
        fail("ten_dang_nhap", f"«{username}» không hợp lệ: chỉ gồm chữ không dấu, chữ số và các dấu . @ + - _ "
                              "(tối đa 150 ký tự)")
    elif username in seen:
        fail("ten_dang_nhap", f"«{username}» trùng với dòng {seen[username]}")
    else:
        seen[username] = number
    full_name = values["ho_ten"]
    if not full_name:
        fail("ho_ten", "ô bắt buộc đang trống")
    role = ROLE_NAMES.get(values["vai_tro"].casefold())
    if not values["vai_tro"]:
        fail("vai_tro", "ô bắt buộc đang trống")
    elif role is None:
        fail("vai_tro", f"«{values['vai_tro']}» không phải vai trò; chỉ nhận: {', '.join(Role.values)} "
                        "(hoặc tên: " + ROLE_LABELS + ")")
    code = values["ma_don_vi"]
    unit = units.get(code) if code else None
    if code and unit is None:
        fail("ma_don_vi", f"không có đơn vị mã «{code}» trong đợt thi đua «{campaign.code}»")
    elif not code and role is not None and role not in CAMPAIGN_WIDE_ROLES and role != Role.VIEWER:
        fail("ma_don_vi", f"vai trò «{Role(role).label}» phải gắn với một đơn vị")
    raw_active = values.get("hoat_dong", "").casefold()
    active = True if raw_active in YES else False if raw_active in NO else None
    if raw_active and active is None:
        fail("hoat_dong", f"«{values['hoat_dong']}» không hợp lệ; chỉ nhận: co, khong")
    if len(report.errors) > errors_before:
        return None
    user = existing.get(username)
    if user is None:
        error = manager.binding_error(unit) if manager else None
        if error:
            fail("ma_don_vi", error)
            return None
        active = True if active is None else active
        return ImportRow(number, username, full_name, role, unit, active, "create",
                         after={"role": role, "unit": code or None, "full_name": full_name, "active": active})
    return _plan_update(fail, number, user, full_name, role, unit, active, campaign, actor, manager)


def _plan_update(fail, number, user, full_name, role, unit, active, campaign, actor, manager) -> ImportRow | None:
    profile = getattr(user, "profile", None)
    stored_unit = profile.unit if profile is not None else None
    stored_role = profile.role if profile is not None else None
    username = user.get_username()
    if manager is not None and not manager.manages(user):
        # Before anything is said of the account (its campaign, even whether it would change): the author learns
        # only that the name is taken, which creating it would tell them anyway.
        fail("ten_dang_nhap", NOT_MANAGED.format(username=username))
        return None
    if stored_unit is not None and stored_unit.campaign_id != campaign.id:
        fail("ten_dang_nhap", f"tài khoản «{username}» gắn với đơn vị của đợt thi đua khác "
                              f"(«{stored_unit.campaign.code}»): sửa trong đợt thi đua đó")
        return None
    active = user.is_active if active is None else active
    before = {"role": stored_role, "unit": stored_unit.code if stored_unit else None, "full_name": user.first_name,
              "active": user.is_active}
    wanted = {"role": role, "unit": unit.code if unit else None, "full_name": full_name, "active": active}
    changed = [k for k in wanted if wanted[k] != before[k]]
    row = ImportRow(number, username, full_name, role, unit, active, "update" if changed else "unchanged",
                    before={k: before[k] for k in changed}, after={k: wanted[k] for k in changed}, user=user)
    if not changed:
        return row
    error = manager.binding_error(unit) if manager else None
    if error:
        fail("ma_don_vi", error)
        return None
    error = lockout_error(user, actor, role=role, active=active)
    if error:
        fail("hoat_dong" if error == SELF_DEACTIVATE else "vai_tro", error)
        return None
    return row
