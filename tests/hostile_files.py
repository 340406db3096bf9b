"""A corpus of hostile and broken import files, generated (no binary blobs): each entry writes one file.

Workbooks are assembled part by part, so that each attack sits exactly where it should: the zip container (CRC,
declared sizes, members), the XML (entities, nesting, markup), the shared strings, the rows and the cells.
"""

import io
import random
import struct
import zipfile
from pathlib import Path

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006"
KEYS = ("ngay", "ma_may", "ma_xa", "so_ho_so")
HEADER = ('<row r="1">' + "".join(f'<c r="{c}1" t="inlineStr"><is><t>{k}</t></is></c>'
                                  for c, k in zip("ABCD", KEYS, strict=True)) + "</row>")


def row(number: int, day="2021-03-10", machine="M-VTH-01", commune="31318", count='<v>5</v>', count_type="n") -> str:
    """Return one thu_nhan row of sheet XML; `count` is the raw XML inside the count cell."""
    return (f'<row r="{number}"><c r="A{number}" t="inlineStr"><is><t>{day}</t></is></c>'
            f'<c r="B{number}" t="inlineStr"><is><t>{machine}</t></is></c>'
            f'<c r="C{number}" t="inlineStr"><is><t>{commune}</t></is></c>'
            f'<c r="D{number}" t="{count_type}">{count}</c></row>')


def sheet(rows: str, prolog: str = "") -> bytes:
    return f'{prolog}<worksheet xmlns="{MAIN}"><sheetData>{HEADER}{rows}</sheetData></worksheet>'.encode()


def parts(sheet_xml: bytes, strings: bytes | None = None, **replace: bytes) -> dict[str, bytes]:
    """Return the parts of a one-sheet (thu_nhan) workbook; `replace` overrides any part by its name."""
    ss_type = ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
               'officedocument.spreadsheetml.sharedStrings+xml"/>' if strings is not None else "")
    ss_rel = (f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
              if strings is not None else "")
    found = {
        "[Content_Types].xml": (
            f'<Types xmlns="{PKG}/content-types"><Default Extension="rels" ContentType="application/vnd.'
            'openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
            f'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>{ss_type}</Types>').encode(),
        "_rels/.rels": (f'<Relationships xmlns="{PKG}/relationships"><Relationship Id="rId1" '
                        f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>').encode(),
        "xl/workbook.xml": (f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets><sheet name="thu_nhan" sheetId="1" '
                            'r:id="rId1"/></sheets></workbook>').encode(),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{PKG}/relationships"><Relationship Id="rId1" Type="{REL}/worksheet" '
            f'Target="worksheets/sheet1.xml"/>{ss_rel}</Relationships>').encode(),
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    if strings is not None:
        found["xl/sharedStrings.xml"] = strings
    found.update(replace)
    return found


def shared_strings(items) -> bytes:
    return (f'<sst xmlns="{MAIN}">' + "".join(f"<si><t>{s}</t></si>" for s in items) + "</sst>").encode()


def write_zip(path: Path, members: dict[str, bytes], level: int = 6) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def patch_central(path: Path, member: str, *, file_size: int | None = None, flags: int | None = None,
                  method: int | None = None) -> Path:
    """Rewrite fields of one member's headers (central directory and local header) in place."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo(member)
    central = 0
    name = member.encode()
    while True:
        central = data.find(b"PK\x01\x02", central)
        (name_len,) = struct.unpack_from("<H", data, central + 28)
        if data[central + 46:central + 46 + name_len] == name:
            break
        central += 4
    local = info.header_offset
    if file_size is not None:
        struct.pack_into("<L", data, central + 24, file_size)
        struct.pack_into("<L", data, local + 22, file_size)
    if flags is not None:
        struct.pack_into("<H", data, central + 8, flags)
        struct.pack_into("<H", data, local + 6, flags)
    if method is not None:
        struct.pack_into("<H", data, central + 10, method)
        struct.pack_into("<H", data, local + 8, method)
    path.write_bytes(bytes(data))
    return path


def flip_data_byte(path: Path, member: str) -> Path:
    """Change one byte of a member's compressed data (its CRC no longer matches)."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo(member)
    (name_len, extra_len) = struct.unpack_from("<HH", data, info.header_offset + 26)
    start = info.header_offset + 30 + name_len + extra_len
    data[start + info.compress_size // 2] ^= 0x01
    path.write_bytes(bytes(data))
    return path


def random_strings(count: int, seed: int = 8) -> list[str]:
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return ["".join(rng.choice(letters) for _ in range(8)) for _ in range(count)]


def compressible_member(size: int, unit: bytes) -> bytes:
    return unit * (size // len(unit))



def empty_cells_rows(rows: int, seed: int = 9):
    """Yield, in pieces, sheet rows of 250 empty cells, a few with a style (the attacker's 5 MB shape: ~85 million
    `<c/>`, each parsed as a cell, none with a value)."""
    rng = random.Random(seed)
    pool = ["".join(f'<c s="{rng.randint(0, 9)}"/>' if rng.random() < 0.015 else "<c/>" for _ in range(250))
            for _ in range(2000)]
    for start in range(2, rows + 2, 2000):
        yield "".join(f'<row r="{n}">{pool[n % 2000]}</row>' for n in range(start, min(start + 2000, rows + 2)))


def filler(elements: int, seed: int = 9):
    """Yield, in pieces, `elements` XML elements that are not rows nor cells, a few with a random attribute so that
    they pack about 90 to 1 (the attacker's other 5 MB shape: ~105 million `<x/>`)."""
    rng = random.Random(seed)
    block = "".join(f'<x a="{rng.choice("abcdefghijklmnopqrstuvwxyz")}"/>' if rng.random() < 0.015 else "<x/>"
                    for _ in range(100_000))
    for _ in range(max(1, elements // 100_000)):
        yield block


def streamed_sheet(rows=(), before_data=()):
    """Yield a thu_nhan sheet in pieces (bytes): `before_data` between <worksheet> and <sheetData>, then the header
    row and `rows`; for sheets too large to build in memory."""
    yield f'<worksheet xmlns="{MAIN}">'.encode()
    for piece in before_data:
        yield piece.encode()
    yield f"<sheetData>{HEADER}".encode()
    for piece in rows:
        yield piece.encode()
    yield b"</sheetData></worksheet>"


def write_zip_streamed(path: Path, members: dict[str, bytes], sheet_pieces, level: int = 9) -> Path:
    """Write a workbook like write_zip, its sheet written from pieces (bounded memory)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        for name, data in members.items():
            if name != "xl/worksheets/sheet1.xml":
                zf.writestr(name, data)
        with zf.open("xl/worksheets/sheet1.xml", "w") as out:
            for piece in sheet_pieces:
                out.write(piece)
    return path
