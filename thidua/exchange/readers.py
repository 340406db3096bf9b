"""Opening what a user hands us — a workbook, a folder or a .zip of CSVs — and streaming its rows.

Nothing is read whole into memory, and nothing hostile is trusted: a file that is not what its name says, is
encrypted, damaged or too large is refused before any row is read, and every limit is kept while reading, not
only as the file declares it:

- a .zip or workbook: its central directory (number of members, size) before it is parsed; each member's declared
  size and compression ratio; then the bytes each member actually unpacks (counted as they are read: a member
  lying about its size ends in a CRC error, refused), against the whole file's budget;
- XML (through openpyxl's parsers, which use defusedxml: no entities, no DTD tricks): the parts read whole are
  limited in size and in markup; the shared strings and the sheets are streamed, each element released once read,
  with limits on nesting, on elements held at once, on the length of any text without markup, on the number and
  total length of the shared strings, on rows and cells; cells beyond MAX_COLUMNS are not even padded;
- CSV: the length of a line and of a field, rows and cells;
- time: a deadline, checked at every chunk unpacked (the command's and the import page's settings differ).

`read_source` reads a whole source at once under these limits into a temporary file and replays its rows from
there, so that the importer takes its database lock only once the slow part, which the file's author controls, is
over.

Every refusal is a FileRejected with a Vietnamese message; no parser's own text reaches a user.
"""

import csv
import io
import pickle  # nosec B403 # only this process's own spool file (_replay)
import struct
import tempfile
import time
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from string import ascii_uppercase

from django.conf import settings

from thidua.lib import vn
from thidua.lib.cells import Unreadable, quote

from .schema import SHEETS, SHEETS_BY_NAME

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")

# Limits that no honest file comes near (the ones a province may need to change are settings).
MAX_MEMBERS = 10_000                   # files inside one .zip or workbook
MAX_DIRECTORY_BYTES = 16 * 2**20       # the zip's central directory, read whole by zipfile
MAX_RATIO = 100                        # unpacked ÷ packed size of a large member (honest sheets: about 10)
RATIO_FROM_BYTES = 16 * 2**20          # smaller members may compress better (repeated strings, styles)
MAX_PART_BYTES = 16 * 2**20            # a workbook part parsed whole (styles, workbook, relations…)
MAX_PART_MARKUP = 1_000_000            # "<" in such a part: bounds its elements, each held in memory
MAX_XML_DEPTH = 64
MAX_HELD_ELEMENTS = 100_000            # elements of one row (or other top-level element) held until it ends
MAX_RUN_BYTES = 2**20                  # text without markup (XML) or without a line break (CSV)
CHUNK_BYTES = 64 * 1024                # at most this much is unpacked per read
MAX_COLUMNS = 256                      # cells further right are ignored (the contract's sheets have ≤ 7 columns)
CSV_FIELD_CHARS = 131_072              # the csv module's limit of one field
EXCEL_MAX_ROWS = 1_048_576
# XML elements of a streamed part (a sheet, the shared strings) beyond what its values need: an honest cell with a
# value is 2 to 6 elements (12 with formatted runs of text), a row 1 more; empty formatted cells cost 1 each and
# carry nothing. A part may hold this many elements freely, then at most ELEMENTS_PER_VALUE for each value read:
# a sheet that is mostly empty cells or elements that are not cells is refused once this much of it is parsed.
FREE_ELEMENTS = 1_000_000
ELEMENTS_PER_VALUE = 16
SPOOL_BATCH = 1000                     # rows pickled at once into the temporary file of read_source


class FileRejected(Exception):
    """The file as a whole cannot be imported; the message is for the user, in Vietnamese."""


@dataclass
class SheetSource:
    """One sheet of the source: `rows()` yields (row number, tuple of raw cell values), the header first."""

    name: str
    origin: str
    _rows: object

    def rows(self) -> Iterator[tuple[int, tuple]]:
        return self._rows()


@dataclass
class Source:
    sheets: list[SheetSource]
    ignored: list[str]


class _Budget:
    """What one file may still unpack, and its cells, counted as they are actually read."""

    def __init__(self, file_name: str, seconds: float | None = None):
        self.file_name = file_name
        self.bytes_left = settings.THIDUA_IMPORT_MAX_UNZIPPED_BYTES
        self.cells_left = settings.THIDUA_IMPORT_MAX_CELLS
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds if seconds else None

    def unpack(self, size: int) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise FileRejected(f"Tệp «{self.file_name}» đọc quá lâu (hơn {vn.number(self.seconds)} giây) nên đã "
                               "dừng: chưa nhập gì. Hãy chia thành nhiều tệp nhỏ hơn rồi nhập lần lượt.")
        self.bytes_left -= size
        if self.bytes_left < 0:
            limit = settings.THIDUA_IMPORT_MAX_UNZIPPED_BYTES
            raise FileRejected(f"Tệp «{self.file_name}» khi giải nén quá lớn (hơn {limit / 2**20:.0f} MiB): hãy "
                               "chia thành nhiều tệp.")

    def cells(self, count: int) -> None:
        self.cells_left -= count
        if self.cells_left < 0:
            raise FileRejected(f"Tệp «{self.file_name}» có hơn {vn.number(settings.THIDUA_IMPORT_MAX_CELLS)} ô: hãy "
                               "bỏ các cột không thuộc mẫu hoặc chia thành nhiều tệp.")


def _damaged(file_name: str, part: str | None = None) -> FileRejected:
    where = f" (phần «{quote(part)}»)" if part else ""
    return FileRejected(f"Tệp «{file_name}» bị hỏng{where}: không đọc được. Hãy mở tệp bằng Excel, lưu lại rồi nhập "
                        "lại.")


class _Member(io.RawIOBase):
    """One member of a zip, unpacked in bounded chunks: its bytes counted against a limit and the file's budget,
    the runs of text between delimiters (markup, or line breaks) measured, a damaged member refused."""

    def __init__(self, raw, part: str, budget: _Budget, limit: int, delimiters: tuple[bytes, ...],
                 markup_limit: int | None = None):
        self._raw, self.part, self._budget, self._limit = raw, part, budget, limit
        self._delimiters, self._markup_left = delimiters, markup_limit
        self._read = 0
        self._run = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            data = self._raw.read(min(len(buffer), CHUNK_BYTES))
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError):
            # a bad CRC (a member lying about its size ends so), broken compressed data, an unknown method
            raise _damaged(self._budget.file_name, self.part) from None
        self._read += len(data)
        self._budget.unpack(len(data))
        if self._read > self._limit:
            raise FileRejected(f"Tệp «{self._budget.file_name}»: phần «{quote(self.part)}» khi giải nén quá lớn (hơn "
                               f"{self._limit / 2**20:.0f} MiB): tệp không phải do Excel tạo ra hoặc cần chia nhỏ.")
        if self._markup_left is not None:
            self._markup_left -= data.count(b"<")
            if self._markup_left < 0:
                raise FileRejected(f"Tệp «{self._budget.file_name}»: phần «{quote(self.part)}» có quá nhiều thành "
                                   "phần XML: tệp không phải do Excel tạo ra.")
        self._measure_runs(data)
        buffer[:len(data)] = data
        return len(data)

    def _measure_runs(self, data: bytes) -> None:
        if not self._delimiters:
            return
        firsts = [p for d in self._delimiters if (p := data.find(d)) >= 0]
        if firsts:
            # A chunk is smaller than the limit: only a run across chunks can exceed it.
            if self._run + min(firsts) > MAX_RUN_BYTES:
                self._refuse_run()
            self._run = len(data) - 1 - max(data.rfind(d) for d in self._delimiters)
        else:
            self._run += len(data)
            if self._run > MAX_RUN_BYTES:
                self._refuse_run()

    def _refuse_run(self):
        what = "một dòng" if self._delimiters == (b"\n",) else "một đoạn văn bản"
        raise FileRejected(f"Tệp «{self._budget.file_name}»: phần «{quote(self.part)}» có {what} dài hơn "
                           f"{MAX_RUN_BYTES // 2**20} MiB: tệp không đúng mẫu.")

    def close(self) -> None:
        self._raw.close()
        super().close()


class _Zip(zipfile.ZipFile):
    """A zip whose members open as bounded streams: `open` (what openpyxl reads whole) with small limits,
    `stream` (sheets, shared strings, CSVs) with the file's budget only."""

    def __init__(self, path: Path, budget: _Budget):
        super().__init__(path)
        self.budget = budget

    def open(self, name, mode="r", pwd=None, **kwargs):
        if mode != "r":
            return super().open(name, mode, pwd, **kwargs)
        return self._bounded(name, MAX_PART_BYTES, (b"<", b">"), MAX_PART_MARKUP)

    def stream(self, name, delimiters: tuple[bytes, ...]):
        return self._bounded(name, settings.THIDUA_IMPORT_MAX_UNZIPPED_BYTES, delimiters)

    def _bounded(self, name, limit: int, delimiters, markup_limit=None):
        part = name.filename if isinstance(name, zipfile.ZipInfo) else name
        try:
            raw = super().open(name, "r")
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError):
            raise _damaged(self.budget.file_name, part) from None
        return io.BufferedReader(_Member(raw, part, self.budget, limit, delimiters, markup_limit), CHUNK_BYTES)


def _check_size(path: Path) -> None:
    size = path.stat().st_size
    limit = settings.THIDUA_IMPORT_MAX_BYTES
    if size > limit:
        raise FileRejected(f"Tệp «{path.name}» quá lớn ({size / 2**20:.0f} MiB; tối đa {limit / 2**20:.0f} MiB): "
                           "hãy chia thành nhiều tệp.")


def _sniff(path: Path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(8)


def _check_directory(path: Path) -> None:
    """Refuse a zip whose central directory is too large to be read, before zipfile reads it whole."""
    end_record = struct.Struct("<4s4H2LH")
    with open(path, "rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - end_record.size - 0xFFFF))
        tail = fh.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < end_record.size:
        raise _damaged(path.name)
    _sig, _disk, _disk_cd, _entries_here, entries, directory_bytes, _offset, _comment = end_record.unpack_from(tail, at)
    # 0xFFFF entries or 0xFFFFFFFF bytes mean "see the zip64 record": no honest workbook needs it either.
    if entries >= MAX_MEMBERS or directory_bytes > MAX_DIRECTORY_BYTES:
        raise FileRejected(f"Tệp «{path.name}» chứa quá nhiều tệp con (tối đa {vn.number(MAX_MEMBERS)}): tệp không "
                           "đúng mẫu.")


def _check_zip(zf: zipfile.ZipFile, name: str) -> None:
    """Refuse an encrypted zip, and one whose members declare too much or compress suspiciously well."""
    total = 0
    members = zf.infolist()
    if len(members) > MAX_MEMBERS:
        raise FileRejected(f"Tệp «{name}» chứa quá nhiều tệp con: tệp không đúng mẫu.")
    for info in members:
        if info.flag_bits & 0x1:
            raise FileRejected(f"Tệp «{name}» được mã hóa bằng mật khẩu: hãy bỏ mật khẩu rồi nhập lại.")
        total += info.file_size
    limit = settings.THIDUA_IMPORT_MAX_UNZIPPED_BYTES
    if total > limit:
        raise FileRejected(f"Tệp «{name}» khi giải nén quá lớn ({total / 2**20:.0f} MiB; tối đa "
                           f"{limit / 2**20:.0f} MiB).")
    for info in members:
        if info.file_size > RATIO_FROM_BYTES and info.file_size > MAX_RATIO * info.compress_size:
            raise FileRejected(f"Tệp «{name}»: phần «{quote(info.filename)}» nén bất thường (giải nén gấp hơn "
                               f"{MAX_RATIO} lần): có thể là tệp độc hại, không nhập.")


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
def _zipfile(path: Path, budget: _Budget):
    _check_directory(path)
    try:
        zf = _Zip(path, budget)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError):
        raise _damaged(path.name) from None
    with zf:
        _check_zip(zf, path.name)
        yield zf


# --- CSV ------------------------------------------------------------------------------------------------------

def _csv_rows(opener, origin: str, budget: _Budget):
    max_rows = settings.THIDUA_IMPORT_MAX_ROWS

    def rows():
        with opener() as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
            reader = csv.reader(text)
            number = 0
            try:
                for number, row in enumerate(reader, start=1):
                    if number > max_rows:
                        raise _too_many_rows(origin, max_rows)
                    budget.cells(len(row))
                    yield number, tuple(row[:MAX_COLUMNS])
            except UnicodeDecodeError:
                raise FileRejected(f"{origin}: dòng {number + 1} không phải văn bản UTF-8; hãy lưu tệp CSV "
                                   "dạng UTF-8.") from None
            except csv.Error:
                raise FileRejected(f"{origin}: dòng {number + 1} không đọc được như CSV (một ô dài hơn "
                                   f"{vn.number(CSV_FIELD_CHARS)} ký tự, hoặc dấu ngoặc kép không đóng): hãy lưu lại "
                                   "tệp bằng Excel dạng CSV UTF-8.") from None
    return rows


def _too_many_rows(origin: str, limit: int) -> FileRejected:
    return FileRejected(f"{origin}: có hơn {vn.number(limit)} dòng (tối đa {vn.number(limit)} dòng một trang): hãy "
                        "chia thành nhiều tệp.")


def _open_csv_file(path: Path, budget: _Budget):
    """Return an opener of a CSV file on disk, its lines measured like a zip member's."""
    def opener():
        fh = open(path, "rb")  # noqa: SIM115 -- closed by the BufferedReader that wraps it
        return io.BufferedReader(_Member(fh, path.name, budget, settings.THIDUA_IMPORT_MAX_BYTES, (b"\n",)),
                                 CHUNK_BYTES)
    return opener


# --- workbooks ------------------------------------------------------------------------------------------------

class _Elements:
    """The elements of a streamed part parsed so far — every one, yielded or not — against its values."""

    __slots__ = ("origin", "part", "seen", "values")

    def __init__(self, part: str, origin: str):
        self.part, self.origin, self.seen, self.values = part, origin, 0, 0

    def check(self) -> None:
        """Refuse a part whose elements are mostly padding: beyond FREE_ELEMENTS, more than ELEMENTS_PER_VALUE a
        value read (Excel writes a few a value)."""
        if self.seen > FREE_ELEMENTS + ELEMENTS_PER_VALUE * self.values:
            raise FileRejected(f"{self.origin}: phần «{quote(self.part)}» có hơn {vn.number(self.seen)} thành phần "
                               f"XML cho {vn.number(self.values)} giá trị (phần lớn là ô trống hoặc thành phần không "
                               "phải ô): tệp không phải do Excel tạo ra, hoặc hãy xóa các dòng, cột trống đã định "
                               "dạng rồi lưu lại.")


def _released(stream, part: str, file_name: str, depth: int, elements: _Elements):
    """Yield each XML element whose parent is at `depth` (1: the root) once it has ended, then release it, and
    every element above it, so that memory holds one such element at a time; refuse nesting deeper than
    MAX_XML_DEPTH or more than MAX_HELD_ELEMENTS held at once; count every element parsed in `elements`, and check
    them against its values whenever one at most `depth` deep ends (padding anywhere is counted)."""
    from openpyxl.xml.functions import iterparse  # defusedxml's when installed

    path: list = []
    held = 0
    for event, element in iterparse(stream, events=("start", "end")):
        if event == "start":
            path.append(element)
            held += 1
            elements.seen += 1
            if len(path) > MAX_XML_DEPTH or held > MAX_HELD_ELEMENTS:
                raise FileRejected(f"Tệp «{file_name}»: phần «{quote(part)}» có cấu trúc XML lồng quá sâu hoặc quá "
                                   "nhiều thành phần: tệp không phải do Excel tạo ra.")
            continue
        path.pop()
        if len(path) <= depth:
            elements.check()
            if len(path) == depth:
                yield element
            if path:
                del path[-1][:]
            held = len(path)


class _WorkbookReader:
    """What the importer needs of a workbook, read with openpyxl's own parsers under our limits: the shared
    strings, the date formats and epoch, and each worksheet's name and part (no worksheet is opened here)."""

    def __init__(self, zf: _Zip, file_name: str):
        from openpyxl.reader.excel import ExcelReader

        reader = ExcelReader.__new__(ExcelReader)  # its __init__ would open the file again, unbounded
        reader.archive, reader.valid_files = zf, zf.namelist()
        reader.read_only, reader.keep_vba, reader.data_only = True, False, False
        reader.keep_links, reader.rich_text, reader.shared_strings = False, False, []
        self.reader, self.zf, self.file_name = reader, zf, file_name

    def read(self):
        from openpyxl.styles.stylesheet import apply_stylesheet
        from openpyxl.xml.constants import SHARED_STRINGS

        r = self.reader
        r.read_manifest()
        found = r.package.find(SHARED_STRINGS)
        strings = self._shared_strings(found.PartName[1:]) if found is not None else []
        r.read_workbook()
        apply_stylesheet(r.archive, r.wb)
        sheets = [(sheet.name, rel.target) for sheet, rel in r.parser.find_sheets()
                  if rel.target in r.valid_files and "chartsheet" not in rel.Type]
        return r.wb, strings, sheets

    def _shared_strings(self, part: str) -> list[str]:
        from openpyxl.cell.text import Text
        from openpyxl.xml.constants import SHEET_MAIN_NS

        tag, plain = f"{{{SHEET_MAIN_NS}}}si", f"{{{SHEET_MAIN_NS}}}t"
        max_count, max_chars = settings.THIDUA_IMPORT_MAX_SHARED_STRINGS, settings.THIDUA_IMPORT_MAX_SHARED_CHARS
        strings, chars = [], 0
        elements = _Elements(part, f"Tệp «{self.file_name}»")
        with self.zf.stream(part, (b"<", b">")) as stream:
            for element in _released(stream, part, self.file_name, 1, elements):
                if element.tag != tag:
                    continue
                elements.values += 1
                if len(element) == 1 and element[0].tag == plain:  # most strings: one plain text, read at once
                    text = (element[0].text or "").replace("x005F_", "")
                else:
                    text = Text.from_tree(element).content.replace("x005F_", "")
                chars += len(text)
                strings.append(text)
                if len(strings) > max_count or chars > max_chars:
                    raise FileRejected(
                        f"Tệp «{self.file_name}» có quá nhiều văn bản khác nhau (tối đa {vn.number(max_count)} chuỗi, "
                        f"{vn.number(max_chars)} ký tự): hãy bỏ các cột không thuộc mẫu hoặc chia thành nhiều tệp."
                        )
        return strings


def _xlsx_rows(zf: _Zip, wb, strings: list[str], title: str, part: str, origin: str, budget: _Budget):
    from openpyxl.worksheet._reader import ROW_TAG, VALUE_TAG, WorkSheetParser

    max_rows = min(settings.THIDUA_IMPORT_MAX_ROWS, EXCEL_MAX_ROWS)

    def rows():
        try:
            yield from read()
        except FileRejected:
            raise
        except Exception:  # the XML parser's own errors (malformed, an entity, a DTD): never shown as such
            raise _damaged(budget.file_name, part) from None

    def read():
        # openpyxl's cell parser gives its meaning to each cell (shared strings, dates by style, formulas as
        # text, never evaluated); the row loop is ours: rows released as read, no padding of empty cells.
        parser = WorkSheetParser(None, strings, data_only=False, epoch=wb.epoch, date_formats=wb._date_formats,
                                 timedelta_formats=wb._timedelta_formats)
        last = 0
        elements = _Elements(part, origin)
        with zf.stream(part, (b"<", b">")) as stream:
            for element in _released(stream, part, budget.file_name, 2, elements):
                if element.tag != ROW_TAG:
                    continue
                number = _row_number(element.get("r"), last, origin)
                if number > max_rows:
                    raise _too_many_rows(origin, max_rows)
                parser.row_counter, parser.col_counter = number, 0
                if len(element) > MAX_COLUMNS:
                    raise FileRejected(f"{origin}, dòng {number}: có hơn {MAX_COLUMNS} ô; các trang của mẫu chỉ có vài "
                                       "cột: tệp không đúng mẫu.")
                budget.cells(len(element))
                values: dict[int, object] = {}
                row_text = str(number)
                for cell in element:
                    reference = cell.get("r")
                    if not len(cell):  # an empty cell (formatted, or padding): no value, not decoded
                        if reference is None:
                            parser.col_counter += 1
                        continue
                    if reference is not None and reference[:3].isalpha():
                        continue  # a column past AAA, far beyond MAX_COLUMNS: not even decoded
                    elements.values += 1
                    if reference is not None and reference.lstrip(ascii_uppercase) != row_text:
                        _column_of(cell, parser, origin, number)  # refuses a cell that claims another row
                    try:
                        found = parser.parse_cell(cell)
                        column, value = found["column"], found["value"]
                    except Exception:  # openpyxl raises many kinds for a cell it cannot decode (NaN, a bad index…)
                        column = _column_of(cell, parser, origin, number)
                        raw = cell.findtext(VALUE_TAG) or ""
                        value = Unreadable(raw, f"ô {cell.get('r') or ''} chứa «{quote(raw)}», không phải một giá "
                                                "trị Excel hợp lệ")
                    if column > MAX_COLUMNS:
                        continue
                    parser.col_counter = column
                    values[column] = value
                last = number
                width = max(values, default=0)
                yield number, tuple(values.get(c) for c in range(1, width + 1))
    return rows


def _row_number(text: str | None, last: int, origin: str) -> int:
    if text is None:
        return last + 1
    if not text.isascii() or not text.isdigit() or len(text) > len(str(EXCEL_MAX_ROWS)):
        raise FileRejected(f"{origin}: số dòng «{quote(text)}» không hợp lệ: tệp bị hỏng.")
    number = int(text)
    if number <= last:
        raise FileRejected(f"{origin}: dòng {number} xuất hiện sau dòng {last}: tệp bị hỏng.")
    return number


def _column_of(cell, parser, origin: str, number: int) -> int:
    from openpyxl.utils import coordinate_to_tuple

    reference = cell.get("r")
    if reference is None:
        return parser.col_counter + 1
    try:
        row, column = coordinate_to_tuple(reference)
    except Exception:  # a reference that is not one: the sheet itself is broken
        raise FileRejected(f"{origin}, dòng {number}: ô «{quote(reference)}» không hợp lệ: tệp bị hỏng.") from None
    if row != number:
        raise FileRejected(f"{origin}, dòng {number}: ô «{quote(reference)}» không thuộc dòng này: tệp bị hỏng.")
    return column


def _open_xlsx(path: Path, stack: ExitStack, budget: _Budget) -> tuple[dict[str, SheetSource], list[str]]:
    zf = stack.enter_context(_zipfile(path, budget))
    if "xl/workbook.xml" not in zf.namelist():
        raise FileRejected(f"Tệp «{path.name}» không phải là tệp Excel .xlsx (thiếu xl/workbook.xml).")
    try:
        wb, strings, sheets = _WorkbookReader(zf, path.name).read()
    except FileRejected:
        raise
    except Exception:  # openpyxl and the XML parsers raise many kinds for a damaged or hostile file
        raise _damaged(path.name) from None
    found, ignored = {}, []
    for title, part in sheets:
        if title in SHEETS_BY_NAME and title not in found:
            found[title] = SheetSource(title, f"{path.name}/{title}",
                                       _xlsx_rows(zf, wb, strings, title, part, title, budget))
        else:
            ignored.append(title)
    return found, ignored


# --- any source -----------------------------------------------------------------------------------------------

@contextmanager
def open_source(path: str | Path, *, seconds: float | None = None):
    """Open a workbook (.xlsx), a .zip of CSVs, a folder of CSVs or one SHEET.csv; yield its known sheets in order.
    Reading stops past `seconds` (None: no deadline)."""
    path = Path(path)
    if not path.exists():
        raise FileRejected(f"Không tìm thấy «{path}».")
    budget = _Budget(path.name, seconds)
    found: dict[str, SheetSource] = {}
    ignored: list[str] = []
    with ExitStack() as stack:
        if path.is_dir():
            for child in sorted(path.iterdir()):
                stem = child.stem if child.suffix.lower() == ".csv" else None
                if stem in SHEETS_BY_NAME and child.is_file():
                    _check_size(child)
                    found[stem] = SheetSource(stem, child.name, _csv_rows(_open_csv_file(child, budget), child.name,
                                                                          budget))
                else:
                    ignored.append(child.name)
        elif path.suffix.lower() == ".xlsx":
            _check_size(path)
            _refuse_not_zip(path, "tệp Excel .xlsx")
            found, ignored = _open_xlsx(path, stack, budget)
        elif path.suffix.lower() == ".zip":
            _check_size(path)
            _refuse_not_zip(path, "tệp .zip")
            zf = stack.enter_context(_zipfile(path, budget))
            for info in zf.infolist():
                if info.is_dir():
                    continue
                base = Path(info.filename).name
                stem = base[:-4] if base.lower().endswith(".csv") else None
                if stem in SHEETS_BY_NAME:
                    if stem in found:
                        raise FileRejected(f"Tệp «{path.name}» có hai tệp {stem}.csv.")
                    found[stem] = SheetSource(stem, f"{path.name}/{info.filename}",
                                              _csv_rows(lambda i=info: zf.stream(i, (b"\n",)), base, budget))
                else:
                    ignored.append(info.filename)
        elif path.suffix.lower() == ".csv":
            if path.stem not in SHEETS_BY_NAME:
                names = ", ".join(s.name + ".csv" for s in SHEETS)
                raise FileRejected(f"Tệp CSV phải mang tên một trang của mẫu ({names}), không phải "
                                   f"«{quote(path.name)}».")
            _check_size(path)
            head = _sniff(path)
            if head.startswith(ZIP_MAGIC) or head == OLE2_MAGIC:
                raise FileRejected(f"Tệp «{path.name}» không phải là tệp CSV (đây là tệp Excel hoặc tệp nén).")
            found[path.stem] = SheetSource(path.stem, path.name,
                                           _csv_rows(_open_csv_file(path, budget), path.name, budget))
        else:
            raise FileRejected(f"Không nhận dạng được «{quote(path.name)}»: cần tệp .xlsx, .zip, .csv hoặc một thư "
                               "mục CSV.")
        if not found:
            names = ", ".join(s.name for s in SHEETS)
            raise FileRejected(f"«{quote(path.name)}» không có trang nào đúng tên của mẫu ({names}).")
        yield Source(sheets=[found[s.name] for s in SHEETS if s.name in found], ignored=ignored)


@contextmanager
def read_source(path: str | Path, *, seconds: float | None = None):
    """Read a whole source now, under every limit and within `seconds`, into a temporary file; yield a Source whose
    sheets replay their rows from it (bounded memory, rows pickled by batches). A file refused is refused here,
    before the caller touches the database."""
    with tempfile.TemporaryFile(prefix="thidua-import-") as spool:
        sheets = []
        with open_source(path, seconds=seconds) as source:
            for sheet in source.sheets:
                start = spool.tell()
                batch = []
                for item in sheet.rows():
                    batch.append(item)
                    if len(batch) == SPOOL_BATCH:
                        pickle.dump(batch, spool, pickle.HIGHEST_PROTOCOL)
                        batch = []
                if batch:
                    pickle.dump(batch, spool, pickle.HIGHEST_PROTOCOL)
                sheets.append(SheetSource(sheet.name, sheet.origin, _replay(spool, start, spool.tell())))
            ignored = source.ignored
        yield Source(sheets=sheets, ignored=ignored)


def _replay(spool, start: int, end: int):
    def rows():
        at = start
        while at < end:
            spool.seek(at)  # other sheets' replays may have moved the file in between
            batch = pickle.load(spool)  # nosec B301 # written just above by this process, never by the user
            at = spool.tell()
            yield from batch
    return rows
