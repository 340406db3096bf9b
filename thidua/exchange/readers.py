"""Opening what a user hands us — a workbook, a folder or a .zip of CSVs — and streaming its rows.

Nothing is read whole into memory: CSV through the csv module, workbooks through openpyxl's read-only mode.
A file that is not what its name says, is encrypted or is too large is refused before any row is read.
"""

import csv
import io
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from django.conf import settings

from .schema import SHEETS, SHEETS_BY_NAME

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")


class FileRejected(Exception):
    """The file as a whole cannot be imported; the message is for the user, in Vietnamese."""


@dataclass
class SheetSource:
    """One sheet of the source: `rows()` yields each row as a tuple of raw cell values, the header first."""

    name: str
    origin: str
    _rows: object

    def rows(self) -> Iterator[tuple]:
        return self._rows()


@dataclass
class Source:
    sheets: list[SheetSource]
    ignored: list[str]


def _csv_rows(opener, origin: str):
    def rows():
        with opener() as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
            reader = csv.reader(text)
            try:
                for row in reader:
                    yield tuple(row)
            except UnicodeDecodeError:
                raise FileRejected(f"{origin}: dòng {reader.line_num + 1} không phải văn bản UTF-8; hãy lưu tệp CSV "
                                   "dạng UTF-8.") from None
            except csv.Error as exc:
                raise FileRejected(f"{origin}: dòng {reader.line_num + 1} không đọc được như CSV ({exc}).") from None
    return rows


def _check_size(path: Path) -> None:
    size = path.stat().st_size
    limit = settings.THIDUA_IMPORT_MAX_BYTES
    if size > limit:
        raise FileRejected(f"Tệp «{path.name}» quá lớn ({size / 2**20:.0f} MiB; tối đa {limit / 2**20:.0f} MiB): "
                           "hãy chia thành nhiều tệp.")


def _sniff(path: Path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(8)


def _check_zip(zf: zipfile.ZipFile, name: str) -> None:
    total = 0
    for info in zf.infolist():
        if info.flag_bits & 0x1:
            raise FileRejected(f"Tệp «{name}» được mã hóa bằng mật khẩu: hãy bỏ mật khẩu rồi nhập lại.")
        total += info.file_size
    limit = settings.THIDUA_IMPORT_MAX_UNZIPPED_BYTES
    if total > limit:
        raise FileRejected(f"Tệp «{name}» khi giải nén quá lớn ({total / 2**20:.0f} MiB; tối đa "
                           f"{limit / 2**20:.0f} MiB).")


def _refuse_not_zip(path: Path, what: str) -> None:
    head = _sniff(path)
    if head.startswith(ZIP_MAGIC):
        return
    if head == OLE2_MAGIC:
        with open(path, "rb") as fh:
            if ENCRYPTION_STREAM in fh.read(settings.THIDUA_IMPORT_MAX_BYTES):
                raise FileRejected(f"Tệp «{path.name}» được mã hóa bằng mật khẩu: hãy mở bằng Excel, bỏ mật khẩu, "
                                   "lưu lại rồi nhập.")
        raise FileRejected(f"Tệp «{path.name}» là định dạng Excel 97-2003 (.xls), không phải {what}: "
                           "hãy lưu lại dưới dạng .xlsx.")
    raise FileRejected(f"Tệp «{path.name}» không phải là {what} (nội dung không đúng định dạng).")


@contextmanager
def open_source(path: str | Path):
    """Open a workbook (.xlsx), a .zip of CSVs, a folder of CSVs or one SHEET.csv; yield its known sheets in order."""
    path = Path(path)
    if not path.exists():
        raise FileRejected(f"Không tìm thấy «{path}».")
    found: dict[str, SheetSource] = {}
    ignored: list[str] = []
    with ExitStack() as stack:
        if path.is_dir():
            for child in sorted(path.iterdir()):
                stem = child.stem if child.suffix.lower() == ".csv" else None
                if stem in SHEETS_BY_NAME and child.is_file():
                    _check_size(child)
                    found[stem] = SheetSource(stem, child.name, _csv_rows(partial(open, child, "rb"), child.name))
                else:
                    ignored.append(child.name)
        elif path.suffix.lower() == ".xlsx":
            _check_size(path)
            _refuse_not_zip(path, "tệp Excel .xlsx")
            found, ignored = _open_xlsx(path, stack)
        elif path.suffix.lower() == ".zip":
            _check_size(path)
            _refuse_not_zip(path, "tệp .zip")
            zf = stack.enter_context(_zipfile(path))
            _check_zip(zf, path.name)
            for info in zf.infolist():
                if info.is_dir():
                    continue
                base = Path(info.filename).name
                stem = base[:-4] if base.lower().endswith(".csv") else None
                if stem in SHEETS_BY_NAME:
                    if stem in found:
                        raise FileRejected(f"Tệp «{path.name}» có hai tệp {stem}.csv.")
                    found[stem] = SheetSource(stem, f"{path.name}/{info.filename}",
                                              _csv_rows(lambda i=info: zf.open(i), base))
                else:
                    ignored.append(info.filename)
        elif path.suffix.lower() == ".csv":
            if path.stem not in SHEETS_BY_NAME:
                names = ", ".join(s.name + ".csv" for s in SHEETS)
                raise FileRejected(f"Tệp CSV phải mang tên một trang của mẫu ({names}), không phải «{path.name}».")
            _check_size(path)
            head = _sniff(path)
            if head.startswith(ZIP_MAGIC) or head == OLE2_MAGIC:
                raise FileRejected(f"Tệp «{path.name}» không phải là tệp CSV (đây là tệp Excel hoặc tệp nén).")
            found[path.stem] = SheetSource(path.stem, path.name, _csv_rows(partial(open, path, "rb"), path.name))
        else:
            raise FileRejected(f"Không nhận dạng được «{path.name}»: cần tệp .xlsx, .zip, .csv hoặc một thư mục CSV.")
        if not found:
            names = ", ".join(s.name for s in SHEETS)
            raise FileRejected(f"«{path.name}» không có trang nào đúng tên của mẫu ({names}).")
        yield Source(sheets=[found[s.name] for s in SHEETS if s.name in found], ignored=ignored)


@contextmanager
def _zipfile(path: Path):
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise FileRejected(f"Tệp «{path.name}» bị hỏng hoặc không phải tệp nén hợp lệ.") from None
    with zf:
        yield zf


def _open_xlsx(path: Path, stack: ExitStack) -> tuple[dict[str, SheetSource], list[str]]:
    import openpyxl

    with _zipfile(path) as zf:
        _check_zip(zf, path.name)
        if "xl/workbook.xml" not in zf.namelist():
            raise FileRejected(f"Tệp «{path.name}» không phải là tệp Excel .xlsx (thiếu xl/workbook.xml).")
    try:
        # data_only=False: a formula is read as its text and kept as data, never evaluated.
        wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise FileRejected(f"Tệp «{path.name}» bị hỏng, không đọc được ({type(exc).__name__}).") from None
    stack.callback(wb.close)
    found, ignored = {}, []
    for ws in wb.worksheets:
        if ws.title in SHEETS_BY_NAME:
            found[ws.title] = SheetSource(ws.title, f"{path.name}/{ws.title}", _xlsx_rows(ws))
        else:
            ignored.append(ws.title)
    return found, ignored


def _xlsx_rows(ws):
    def rows():
        # The stored dimension may be wrong in files written by other tools: read every row there is.
        ws.reset_dimensions()
        yield from ws.iter_rows(values_only=True)
    return rows
