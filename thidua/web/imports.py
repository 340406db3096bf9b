"""The workbook import in the site: upload → preview (every error listed, nothing changed) → confirm.

The preview runs the real import in a transaction that is rolled back (`dry_run`), and signs what it showed: the
file's SHA-256, the options (correction or not, reason), the campaign, the user, their teams and the plan (the
importer's fingerprint of what it would add and change). The confirmation applies exactly that: different options,
another file, an expired or foreign token are refused, and the import itself is refused, nothing written, if it
would now do anything else than the preview showed (someone changed the data in between); a fresh preview is then
shown. A preview with errors signs nothing and offers no confirmation. Between the two steps the file waits in
THIDUA_UPLOAD_DIR under its SHA-256, and is checked against it again before it is imported.

Requests on one user's waiting file of one hash take turns (a lock file beside it, across the server's processes):
the same file sent twice at once, or a confirmation clicked twice, never finds it half written or half removed. The
click that comes second finds the file imported and says when.
"""

import datetime as dt
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from thidua.accounts.scopes import IMPORT_ROLES
from thidua.audit.models import REASON_MAX
from thidua.audit.selectors import file_import_act
from thidua.audit.services import reason_problem
from thidua.campaigns import clock
from thidua.exchange.error_list import errors_csv
from thidua.exchange.importer import workbook_import
from thidua.exchange.schema import SHEETS, SHEETS_BY_NAME
from thidua.exchange.template import GUIDE_SHEET, LISTS_SHEET, workbook_template
from thidua.lib import vn
from thidua.territory.models import AdminUnit
from thidua.units.models import Kind, Unit

from .views import _campaign_and_scope

SUFFIXES = (".xlsx", ".zip", ".csv")
SHOWN_ERRORS = 500
KEEP_SECONDS = 24 * 3600
CONFIRM_SALT = "thidua.web.imports.confirm"
CONFIRM_MAX_AGE = KEEP_SECONDS
CHANGED_SINCE = "Số liệu đã thay đổi từ lúc xem trước: chưa nhập gì. Hãy xem lại bản xem trước mới dưới đây."
FILE_HAS_ERRORS = "Tệp có lỗi: không nhập gì. Sửa các dòng dưới đây rồi tải tệp lên lại."
NOT_PREVIEWED = ("Xác nhận này không khớp với một bản xem trước còn hiệu lực của bạn: chưa nhập gì. Hãy kiểm tra bản "
                 "xem trước dưới đây rồi bấm «Xác nhận nhập».")
OPTIONS_CHANGED = ("Lựa chọn sửa số liệu hoặc lý do sửa khác với lúc xem trước: chưa nhập gì. Hãy kiểm tra bản xem "
                   "trước dưới đây rồi bấm «Xác nhận nhập».")
NOT_WAITING = "Không còn tệp đã xem trước (quá một ngày, hoặc đã nhập): hãy tải tệp lên lại."
IMPORTED = ("Tệp «{name}» đã được nhập lúc {at:%H:%M:%S} ngày {at:%d/%m/%Y} (một lần xác nhận trước của bạn, có thể "
            "do bấm hai lần): không nhập lần nữa. Muốn xem lại thì tải tệp lên lại.")
MAX_NAME_BYTES = 255  # the longest file name the file system keeps (the file waits under its own name)
LOCK_NAME = ".lock"


def _import_scope(request, code):
    """Return (campaign, scope, teams): teams is None for a whole workbook, else the teams whose intake may come;
    refuse roles that do not import."""
    campaign, scope = _campaign_and_scope(request, code)
    if scope.role not in IMPORT_ROLES:
        raise PermissionDenied("Vai trò của bạn không nhập số liệu.")
    if scope.whole_campaign:
        return campaign, scope, None
    teams = frozenset(Unit.objects.filter(campaign=campaign, kind=Kind.TO, id__in=scope.unit_ids)
                      .values_list("id", flat=True))
    return campaign, scope, teams


def _upload_dir() -> Path:
    """Return the folder of waiting uploads, having removed what nobody confirmed within a day (a folder a request
    holds at that moment is left for the next sweep)."""
    folder = Path(settings.THIDUA_UPLOAD_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - KEEP_SECONDS
    for old in folder.iterdir():
        try:
            if old.stat().st_mtime >= cutoff:
                continue
        except FileNotFoundError:  # removed meanwhile
            continue
        if old.is_dir():
            with _locked(old, wait=False, create=False) as held:
                if held:
                    shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink(missing_ok=True)  # a temporary file left by an upload that was cut off
    return folder


@contextmanager
def _locked(folder: Path, wait: bool = True, create: bool = True):
    """Hold the lock of a waiting folder (a lock file in it) and yield True; yield False at once when the folder is
    missing and `create` is off, or when the lock is held and `wait` is off. If the sweep removes the folder while
    a request waits for it, the request locks the folder there now, if any."""
    lock = folder / LOCK_NAME
    while True:
        if create:
            folder.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        except FileNotFoundError:  # no folder, or removed since the line above
            if create:
                continue
            yield False
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            yield False
            return
        try:
            current = os.stat(lock).st_ino
        except FileNotFoundError:
            current = None
        if current == os.fstat(fd).st_ino:
            break
        os.close(fd)
    try:
        yield True
    finally:
        os.close(fd)


def _is_sha256(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


def _turn(request, sha: str, create: bool = True):
    """Return the lock of one user's waiting file of one hash: whoever holds it alone reads, writes or removes it
    (`create` off: nothing to wait for if the folder is not there)."""
    return _locked(_waiting(request, sha), create=create)


def _waiting(request, sha: str) -> Path:
    """Return the folder of one user's upload of one file (two users may upload the same bytes)."""
    return Path(settings.THIDUA_UPLOAD_DIR) / f"{request.user.pk}-{sha}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _stored(sha: str, request, campaign) -> Path | None:
    """Return this user's waiting file of this hash, if they uploaded it for this campaign (call holding its turn)."""
    if not _is_sha256(sha):
        return None
    meta_path = _waiting(request, sha) / "meta.json"
    if not meta_path.exists():
        return None
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    path = _waiting(request, sha) / "tep" / meta["name"]
    return path if meta["campaign"] == campaign.code and path.exists() else None


def _forget(request, sha: str) -> None:
    """Remove one user's waiting file of one hash and what goes with it, but not its lock (call holding its turn):
    a request waiting for the turn then finds nothing, and the folder goes with the next day's sweep."""
    for entry in _waiting(request, sha).iterdir():
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.name != LOCK_NAME:
            entry.unlink(missing_ok=True)


def _receive(upload) -> tuple[str, Path]:
    """Write an upload to a temporary file of the waiting folder; return its SHA-256 and the file. A write that
    fails (a full disk: the last buffered bytes may fail only as the file closes) leaves no part of it behind."""
    digest = hashlib.sha256()
    tmp = tempfile.NamedTemporaryFile(dir=_upload_dir(), delete=False)  # noqa: SIM115 -- closed just below
    try:
        with tmp:
            for chunk in upload.chunks():
                digest.update(chunk)
                tmp.write(chunk)
    except BaseException:
        Path(tmp.name).unlink(missing_ok=True)
        raise
    return digest.hexdigest(), Path(tmp.name)


def _keep(received: Path, name: str, sha: str, request, campaign) -> Path:
    """Keep a received file as the user's waiting file of its hash, for the campaign, under its own name (the
    importer reads the sheet's name from a single CSV file's name); return it. Call holding its turn."""
    _forget(request, sha)
    waiting = _waiting(request, sha)
    (waiting / "tep").mkdir(parents=True)
    path = waiting / "tep" / name
    received.rename(path)
    (waiting / "meta.json").write_text(json.dumps({"campaign": campaign.code, "name": name}), encoding="utf-8")
    return path


def _render_form(request, campaign, teams, status=200, **context):
    return render(request, "web/import.html", {"campaign": campaign, "restricted": teams is not None,
                                               "max_mib": settings.THIDUA_IMPORT_MAX_BYTES // (1024 * 1024),
                                               "reason_max": REASON_MAX, "tab": "import", **context}, status=status)


GUIDE_SHEETS = {GUIDE_SHEET: "Hướng dẫn", LISTS_SHEET: "Danh mục"}
YES_NO_SHOWN = {"co": "có", "khong": "không"}


def _sheet_label(name: str) -> str:
    """Return a sheet's Vietnamese name (a file's own sheet, or the file itself, as it is named)."""
    spec = SHEETS_BY_NAME.get(name)
    return spec.label if spec else GUIDE_SHEETS.get(name, name)


def _column_label(sheet: str, key: str | None) -> str:
    spec = SHEETS_BY_NAME.get(sheet)
    found = next((c.label for c in spec.columns if c.key == key), None) if spec else None
    return found or key or ""


def _shown(key: str, value) -> str:
    """Return a planned value as the page shows it: dd/mm/yyyy, 1.234, a unit's kind and yes or no in words."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return vn.date(value)
    if isinstance(value, int):
        return vn.number(value)
    if key == "loai":
        return str(Kind(value).label) if value in Kind.values else value
    return YES_NO_SHOWN.get(value, value) if key == "truc_tiep_cap_cccd" else str(value)


def _planned_rows(campaign, planned) -> list[dict]:
    """Return the rows a preview lists: where in the file, which record (a commune by its name), added or changed,
    and each value (changed ones: before → after). One query, for the communes' names."""
    codes = {p.key[-1] for p in planned if p.sheet in ("dan_so", "thu_nhan")}
    names = dict(AdminUnit.objects.communes_of(campaign.structure, campaign.province_code).filter(code__in=codes)
                 .values_list("code", "name")) if codes else {}
    shown = []
    for p in planned:
        if p.sheet == "thu_nhan":
            day, machine, commune = p.key
            key = f"{vn.date(day)} · máy {machine} · {names.get(commune, commune)} ({commune})"
        elif p.sheet == "dan_so":
            key = f"{names.get(p.key[0], p.key[0])} ({p.key[0]})"
        elif p.sheet == "may":
            key = f"máy {p.key[0]} · từ {vn.date(p.key[1])}"
        else:
            key = p.key[0]
        before = p.before or {}
        if p.before is None:  # added: what it holds
            values = [(_column_label(p.sheet, k), None, _shown(k, v)) for k, v in p.after.items() if _shown(k, v)]
        else:  # changed: what changes
            values = [(_column_label(p.sheet, k), _shown(k, before.get(k)), _shown(k, v))
                      for k, v in p.after.items() if before.get(k) != v]
        shown.append({"sheet": _sheet_label(p.sheet), "row": p.row, "key": key, "added": p.before is None,
                      "values": values})
    return shown


def _teams_key(teams) -> list[int] | None:
    return sorted(teams) if teams is not None else None


def _preview(request, campaign, teams, sha, path, replace, reason, form_error=None, status=None, if_bad=None):
    """Check the file without changing anything; show what it would do, with a signed confirmation if it is
    good and changes something (`if_bad`: the message instead of form_error when the file has errors)."""
    report = workbook_import(campaign=campaign, path=path, actor=request.user.get_username(), replace=replace,
                             reason=reason, teams=teams, dry_run=True,
                             read_seconds=settings.THIDUA_IMPORT_WEB_READ_SECONDS)
    if report.errors:
        (_waiting(request, sha) / "errors.csv").write_bytes(errors_csv(report.errors))
        form_error = if_bad or form_error
    totals = report.totals()
    nothing_new = report.ok and totals.added + totals.replaced == 0
    token = None
    if report.ok and not nothing_new:
        token = signing.dumps({"sha256": sha, "sua": replace, "ly_do": reason, "dot": campaign.pk,
                               "by": request.user.pk, "teams": _teams_key(teams), "plan": report.plan},
                              salt=CONFIRM_SALT)
    sheets = [(s.label, report.counts[s.name]) for s in SHEETS if s.name in report.counts]
    errors = [{"sheet": _sheet_label(e.sheet), "row": e.row, "column": _column_label(e.sheet, e.column),
               "message": e.message} for e in report.errors[:SHOWN_ERRORS]]
    planned = _planned_rows(campaign, report.planned)
    return _render_form(request, campaign, teams, report=report, totals=totals, sha=sha, replace=replace,
                        reason=reason, sheets=sheets, shown_errors=errors, token=token,
                        more_errors=max(0, len(report.errors) - SHOWN_ERRORS), nothing_new=nothing_new,
                        planned=planned, more_planned=max(0, totals.added + totals.replaced - len(planned)),
                        empty_sheets=[_sheet_label(n) for n in report.empty_sheets],
                        ignored_sheets=[_sheet_label(n) for n in report.ignored_sheets],
                        form_error=form_error, status=status or (400 if report.errors else 200))


@login_required
def import_upload(request, code):
    """Show the import form; on upload, check the whole file without changing anything and show the preview."""
    campaign, _scope, teams = _import_scope(request, code)
    if request.method != "POST":
        return _render_form(request, campaign, teams)
    if not campaign.accepts_data:
        return _render_form(request, campaign, teams, status=400, form_error=(
            f"Đợt thi đua đang ở trạng thái «{campaign.get_status_display()}»: số liệu đã khóa."))
    upload = request.FILES.get("tep")
    replace = request.POST.get("sua") == "1"
    reason = request.POST.get("ly_do", "").strip()
    form_error = None
    if upload is None:
        form_error = "Chưa chọn tệp."
    elif not upload.name.lower().endswith(SUFFIXES):
        form_error = f"Tệp «{upload.name}» không phải .xlsx, .zip hay .csv."
    elif len(upload.name.encode()) > MAX_NAME_BYTES:
        form_error = "Tên tệp quá dài để lưu: hãy đổi tên tệp cho ngắn hơn rồi tải lên lại."
    elif upload.size > settings.THIDUA_IMPORT_MAX_BYTES:
        form_error = (f"Tệp «{upload.name}» lớn hơn mức cho phép "
                      f"({settings.THIDUA_IMPORT_MAX_BYTES // (1024 * 1024)} MiB).")
    elif replace and not reason:
        form_error = "Sửa số liệu đã có cần ghi lý do."
    elif too_long := reason_problem(reason):
        form_error = too_long
    if form_error:
        return _render_form(request, campaign, teams, form_error=form_error, replace=replace, reason=reason,
                            status=400)
    sha, received = _receive(upload)
    with _turn(request, sha):
        try:
            path = _keep(received, Path(upload.name).name, sha, request, campaign)
            return _preview(request, campaign, teams, sha, path, replace, reason)
        except OSError:
            # A full disk as the file is kept or its errors listed: nothing of it waits (the site answers 507).
            received.unlink(missing_ok=True)
            _forget(request, sha)
            raise


@login_required
def import_confirm(request, code):
    """Import the file that was previewed, if it is still the same file; all or nothing."""
    campaign, _scope, teams = _import_scope(request, code)
    if request.method != "POST":
        return redirect(reverse("import_upload", args=[campaign.code]))
    sha = request.POST.get("sha256", "")
    if not _is_sha256(sha):
        return _render_form(request, campaign, teams, status=400, form_error=NOT_WAITING)
    with _turn(request, sha, create=False):
        return _confirm(request, campaign, teams, sha)


def _confirm(request, campaign, teams, sha):
    """Import the waiting file of this hash if the posted token and options are those of its preview; holding its
    turn, so that a second click waits for the first and then finds the file imported."""
    path = _stored(sha, request, campaign)
    if path is None:
        act = file_import_act(campaign=campaign, actor=request.user.get_username(), sha256=sha,
                              since=clock.now() - dt.timedelta(seconds=KEEP_SECONDS))
        message = (IMPORTED.format(name=act.file_name, at=timezone.localtime(act.at)) if act is not None
                   else NOT_WAITING)
        return _render_form(request, campaign, teams, status=400, form_error=message)
    if _sha256(path) != sha:
        _forget(request, sha)
        return _render_form(request, campaign, teams, status=400, form_error=(
            "Tệp đã đổi từ lúc xem trước: hãy tải tệp lên lại."))
    replace = request.POST.get("sua") == "1"
    reason = request.POST.get("ly_do", "").strip()
    try:
        token = signing.loads(request.POST.get("ma", ""), salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except signing.BadSignature:  # absent, forged or expired
        token = None
    if token is None or (token["sha256"], token["dot"], token["by"], token["teams"]) != (
            sha, campaign.pk, request.user.pk, _teams_key(teams)):
        # Never previewed as confirmable (a file with errors is not), or by someone else: show what it is now.
        return _preview(request, campaign, teams, sha, path, replace, reason, form_error=NOT_PREVIEWED, status=400,
                        if_bad=FILE_HAS_ERRORS)
    if (token["sua"], token["ly_do"]) != (replace, reason):
        return _preview(request, campaign, teams, sha, path, replace, reason, form_error=OPTIONS_CHANGED, status=400)
    report = workbook_import(campaign=campaign, path=path, actor=request.user.get_username(), replace=replace,
                             reason=reason, teams=teams, expected_plan=token["plan"],
                             read_seconds=settings.THIDUA_IMPORT_WEB_READ_SECONDS)
    if report.errors:
        # The data changed since the preview (another import, a report): nothing written; show what it is now.
        return _preview(request, campaign, teams, sha, path, replace, reason, form_error=CHANGED_SINCE, status=409)
    _forget(request, sha)
    t = report.totals()
    messages.success(request, f"Đã nhập «{report.file_name}»: thêm {t.added}, sửa {t.replaced}, không đổi "
                              f"{t.unchanged}." if report.changeset_id else
                     f"«{report.file_name}» không có gì mới: cơ sở dữ liệu không thay đổi.")
    return redirect(reverse("import_upload", args=[campaign.code]))


@login_required
def import_errors(request, code, sha):
    """Download the full list of a previewed file's errors as CSV."""
    campaign, _scope, _teams = _import_scope(request, code)
    if not _is_sha256(sha):
        raise Http404("Không còn danh sách lỗi này.")
    with _turn(request, sha, create=False):
        if _stored(sha, request, campaign) is None:
            raise Http404("Không còn danh sách lỗi này.")
        errors = _waiting(request, sha) / "errors.csv"
        if not errors.exists():
            raise Http404("Tệp này không có lỗi.")
        content = errors.read_bytes()
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="danh-sach-loi.csv"'
    return response


@login_required
def import_template(request, code):
    """Download the campaign's workbook template; `?du_lieu=1` fills in its reference data (whole-campaign roles). A
    district or a team gets its own: the thu_nhan sheet, with its teams' machines and communes to choose from."""
    campaign, scope, teams = _import_scope(request, code)
    with_data = request.GET.get("du_lieu") == "1" and scope.whole_campaign
    own = "" if teams is None else f"-{request.user.profile.unit.code}"
    name = f"mau-{campaign.code}{own}.xlsx"
    folder = Path(tempfile.mkdtemp(prefix="thidua-template-"))
    path = workbook_template(campaign=campaign, path=folder / name, with_data=with_data, teams=teams)
    response = FileResponse(path.open("rb"), as_attachment=True, filename=path.name,
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    path.unlink()  # the open handle keeps the bytes until the response is sent
    folder.rmdir()
    return response
