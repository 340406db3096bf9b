"""The layout of an administrative document (Nghị định 30/2020/NĐ-CP, Phụ lục I), shared by every Word document.

A4 portrait; margins 20 mm top and bottom, 30 mm left, 15 mm right; Times New Roman; body 14 pt, justified, first
line indented 1,27 cm, 6 pt after each paragraph, line spacing 1,15; page numbers centred in the top margin from
the second page on. The header is a two-column table: the issuing body and the number on the left, the national
title, the motto and the place–date line on the right. The same content gives the same bytes (`docx_bytes`).
"""

import datetime as dt
import io
import math
import zipfile

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, Twips

from thidua.campaigns.config import Issuer, Paper
from thidua.lib import vn

FONT = "Times New Roman"
BODY_PT = 14
TABLE_PT = 12
MARGINS_MM = {"top": 20, "bottom": 20, "left": 30, "right": 15}
TEXT_WIDTH_MM = 210 - MARGINS_MM["left"] - MARGINS_MM["right"]
FIRST_LINE = Cm(1.27)
AFTER = Pt(6)
LINE_SPACING = 1.15
NATIONAL_TITLE = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
HEADER_LEFT_MM, HEADER_RIGHT_MM = 68, TEXT_WIDTH_MM - 68
# Every zip entry is dated so: a document's bytes depend on its content only.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
AUTHOR = "thidua"


def new_document() -> Document:
    """Return an empty document with the page, font and paragraph settings of the decree."""
    doc = Document()
    _drop_thumbnail(doc)
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = _at_least(MARGINS_MM["top"]), _at_least(MARGINS_MM["bottom"])
    section.left_margin, section.right_margin = _at_least(MARGINS_MM["left"]), _at_least(MARGINS_MM["right"])
    section.header_distance, section.footer_distance = Mm(10), Mm(10)
    _page_numbers(section)
    style = doc.styles["Normal"]
    style.font.name, style.font.size = FONT, Pt(BODY_PT)
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FONT)
    fmt = style.paragraph_format
    fmt.space_before, fmt.space_after, fmt.line_spacing = Pt(0), Pt(0), 1.0
    return doc


def _at_least(mm: float) -> Twips:
    """Return a length in whole twips (as the file stores it) not shorter than `mm`: 15 mm stays within 15–20."""
    return Twips(math.ceil(mm * 1440 / 25.4))


def _drop_thumbnail(doc: Document) -> None:
    """Drop the template's thumbnail (a picture of another, empty document)."""
    package = doc.part.package
    for rid, rel in list(package.rels.items()):
        if rel.reltype.endswith("/thumbnail"):
            del package.rels[rid]


def _page_numbers(section) -> None:
    """Number the pages centred in the top margin, the first page without its number (a different first page)."""
    section.different_first_page_header_footer = True
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _field(paragraph.add_run(), "PAGE")
    paragraph.runs[0].font.size = Pt(BODY_PT)
    section.first_page_header.paragraphs[0].text = ""


def _field(run, instruction: str) -> None:
    for kind, text in (("begin", None), (None, instruction), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        elif text == instruction:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = f" {instruction} "
        else:
            element = OxmlElement("w:t")
            element.text = text
        run._r.append(element)


def restart_numbering(doc: Document) -> None:
    """Start a new section on a new page whose pages are numbered from 1 again (an annex, Phụ lục I, III.1.đ)."""
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    section.different_first_page_header_footer = True
    number_type = OxmlElement("w:pgNumType")
    number_type.set(qn("w:start"), "1")
    section._sectPr.insert_element_before(number_type, "w:cols", "w:formProt", "w:vAlign", "w:noEndnote",
                                          "w:titlePg", "w:textDirection", "w:bidi", "w:rtlGutter", "w:docGrid",
                                          "w:printerSettings", "w:sectPrChange")


def text(container, value: str, *, size: int = BODY_PT, bold: bool = False, italic: bool = False,
         align=WD_ALIGN_PARAGRAPH.CENTER, after: float = 0, before: float = 0):
    """Add a paragraph of one run (`after`, `before`: the spaces in points); return it."""
    paragraph = container.add_paragraph()
    paragraph.alignment = align
    paragraph.paragraph_format.space_after, paragraph.paragraph_format.space_before = Pt(after), Pt(before)
    if value:
        run = paragraph.add_run(value)
        run.font.size, run.bold, run.italic = Pt(size), bold, italic
    _mark_size(paragraph, size)
    return paragraph


def _mark_size(paragraph, size: float) -> None:
    """Size the paragraph mark: an empty paragraph (a rule, a gap) is as high as its mark."""
    ppr = paragraph._p.get_or_add_pPr()
    marks = ppr.find(qn("w:rPr"))
    if marks is None:
        marks = OxmlElement("w:rPr")
        ppr.insert_element_before(marks, "w:sectPr", "w:pPrChange")
    for tag in ("w:sz", "w:szCs"):
        element = OxmlElement(tag)
        element.set(qn("w:val"), str(int(size * 2)))
        marks.append(element)


def rule(container, length_mm: float, width_mm: float) -> None:
    """Add a short centred line (a paragraph's bottom border) `length_mm` long in a space `width_mm` wide."""
    paragraph = container.add_paragraph()
    side = Mm(max(0.0, (width_mm - length_mm) / 2))
    fmt = paragraph.paragraph_format
    fmt.left_indent, fmt.right_indent, fmt.space_after, fmt.space_before = side, side, Pt(0), Pt(3)
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    paragraph._p.get_or_add_pPr().insert_element_before(
        borders, "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
        "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid",
        "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
        "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle",
        "w:rPr", "w:sectPr", "w:pPrChange")
    _mark_size(paragraph, 2)


def body(container, value: str, *, bold: bool = False, italic: bool = False, indent: bool = True,
         align=WD_ALIGN_PARAGRAPH.JUSTIFY):
    """Add a paragraph of the body: justified, first line indented, 6 pt after; return it."""
    paragraph = container.add_paragraph()
    paragraph.alignment = align
    fmt = paragraph.paragraph_format
    fmt.first_line_indent = FIRST_LINE if indent else None
    fmt.space_after, fmt.line_spacing = AFTER, LINE_SPACING
    fmt.keep_with_next = bold  # a heading stays with what it heads
    if value:
        run = paragraph.add_run(value)
        run.bold, run.italic = bold, italic
        run.font.size = Pt(BODY_PT)
    return paragraph


def lead_in(container, head: str, rest: str):
    """Add a body paragraph whose first words are bold (Điều 1. …)."""
    paragraph = body(container, "")
    paragraph.add_run(head).bold = True
    paragraph.add_run(rest)
    for run in paragraph.runs:
        run.font.size = Pt(BODY_PT)
    return paragraph


def _no_borders(table) -> None:
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{side}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    table._tbl.tblPr.insert_element_before(borders, "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook",
                                           "w:tblCaption", "w:tblDescription")


def _widths(table, widths_mm: list[float]) -> None:
    """Fix the columns' widths (Word reads the cells', LibreOffice the grid's)."""
    table.autofit = False
    for col, width in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths_mm, strict=True):
        col.set(qn("w:w"), str(int(Mm(width).twips)))
    for row in table.rows:
        for cell, width in zip(row.cells, widths_mm, strict=True):
            cell.width = Mm(width)


def _cell(table, row: int, col: int):
    cell = table.cell(row, col)
    cell.paragraphs[0]._p.getparent().remove(cell.paragraphs[0]._p)
    return cell


def header(doc: Document, issuer: Issuer, number: str, place: str, day: dt.date | None, year: int) -> None:
    """Add the header: issuing body and number on the left; national title, motto and place–date on the right."""
    table = doc.add_table(rows=2, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _no_borders(table)
    _widths(table, [HEADER_LEFT_MM, HEADER_RIGHT_MM])
    _cell_margins(table, 0.5)
    left, right = _cell(table, 0, 0), _cell(table, 0, 1)
    for line in issuer.parent:
        text(left, line, size=12)
    for line in issuer.name:
        text(left, line, size=12, bold=True)
    rule(left, HEADER_LEFT_MM / 3, HEADER_LEFT_MM)
    text(right, NATIONAL_TITLE, size=12, bold=True)
    text(right, MOTTO, size=13, bold=True)
    rule(right, 62, HEADER_RIGHT_MM)
    text(_cell(table, 1, 0), f"Số: {number}", size=13, before=6)
    text(_cell(table, 1, 1), place_date(place, day, year), size=14, italic=True, before=6)


def place_date(place: str, day: dt.date | None, year: int) -> str:
    """Return the place–date line; a date not yet known leaves the space for it."""
    return f"{place}, {vn.long_date(day)}" if day else f"{place}, ngày      tháng      năm {year}"


def title(doc: Document, kind: str, summary: str) -> None:
    """Add the document's kind (upper case) and its summary (trích yếu), centred and bold, with a rule beneath."""
    text(doc, kind, size=BODY_PT, bold=True, before=18)
    text(doc, summary, size=BODY_PT, bold=True)
    rule(doc, TEXT_WIDTH_MM / 4, TEXT_WIDTH_MM)
    text(doc, "", size=6)


def addressed_to(doc: Document, addressees: tuple[str, ...]) -> None:
    """Add `Kính gửi:` with one addressee on its line, or several under it each on a line of its own."""
    if len(addressees) == 1:
        text(doc, f"Kính gửi: {addressees[0]}.", size=BODY_PT, after=12)
        return
    table = doc.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _no_borders(table)
    _widths(table, [32, 110])
    text(_cell(table, 0, 0), "Kính gửi:", size=BODY_PT, align=WD_ALIGN_PARAGRAPH.RIGHT)
    right = _cell(table, 0, 1)
    for i, name in enumerate(addressees):
        text(right, f"- {name}{'.' if i == len(addressees) - 1 else ';'}", size=BODY_PT,
             align=WD_ALIGN_PARAGRAPH.LEFT)
    text(doc, "", size=6)


def grounds(doc: Document, lines: list[str]) -> None:
    """Add the legal bases in italics, each on its own line ending `;`, the last with `.`."""
    for i, line in enumerate(lines):
        body(doc, f"{line.rstrip(';.')}{'.' if i == len(lines) - 1 else ';'}", italic=True)


def heading(doc: Document, value: str) -> None:
    """Add a section's heading (I. KẾT QUẢ …): bold, at the body's indent."""
    body(doc, value, bold=True)


def table(doc: Document, head: list[str], rows: list[list[str]], widths_mm: list[float],
          numeric: set[int] = frozenset(), total: list[str] | None = None) -> None:
    """Add a bordered table: a bold header row, the rows (numbers right-aligned), an optional bold total row."""
    grid = doc.add_table(rows=1 + len(rows) + (1 if total else 0), cols=len(head))
    grid.style = doc.styles["Table Grid"]
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    _widths(grid, widths_mm)
    _cell_margins(grid, 1)
    for r, values in enumerate([head, *rows, *([total] if total else [])]):
        bold = r == 0 or (total is not None and r == len(rows) + 1)
        for c, value in enumerate(values):
            cell = _cell(grid, r, c)
            align = (WD_ALIGN_PARAGRAPH.CENTER if r == 0 else
                     WD_ALIGN_PARAGRAPH.RIGHT if c in numeric else WD_ALIGN_PARAGRAPH.LEFT)
            text(cell, value, size=TABLE_PT, bold=bold, align=align, before=2, after=2)
    _keep_rows_whole(grid)
    _repeat_header(grid)
    text(doc, "", size=6)


def _cell_margins(grid, side_mm: float) -> None:
    """Narrow the cells' left and right margins (the default 1,9 mm wraps short numbers in narrow columns)."""
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        element = OxmlElement(f"w:{side}")
        element.set(qn("w:w"), str(int(Mm(side_mm).twips)))
        element.set(qn("w:type"), "dxa")
        margins.append(element)
    grid._tbl.tblPr.insert_element_before(margins, "w:tblLook", "w:tblCaption", "w:tblDescription")


def _keep_rows_whole(table) -> None:
    """Keep each row on one page (the signature block is not split from its recipients)."""
    for row in table.rows:
        properties = row._tr.get_or_add_trPr()
        element = OxmlElement("w:cantSplit")
        properties.insert(0, element)


def _repeat_header(grid) -> None:
    properties = grid.rows[0]._tr.get_or_add_trPr()
    element = OxmlElement("w:tblHeader")
    element.set(qn("w:val"), "true")
    properties.append(element)


def signature(doc: Document, paper: Paper, name: str, recipients: tuple[str, ...] | None = None) -> None:
    """Add the recipients (left, 11–12 pt) and the signature block (right: authority, position, space, name),
    kept on the page of the body's last paragraph."""
    doc.paragraphs[-1].paragraph_format.keep_with_next = True
    table = doc.add_table(rows=1, cols=2)
    _no_borders(table)
    _widths(table, [78, TEXT_WIDTH_MM - 78])
    _keep_rows_whole(table)
    left, right = _cell(table, 0, 0), _cell(table, 0, 1)
    text(left, "Nơi nhận:", size=12, bold=True, italic=True, align=WD_ALIGN_PARAGRAPH.LEFT)
    names = recipients if recipients is not None else paper.recipients
    for i, recipient in enumerate(names):
        text(left, f"- {recipient.rstrip(';.')}{'.' if i == len(names) - 1 else ';'}", size=11,
             align=WD_ALIGN_PARAGRAPH.LEFT)
    for line in (*paper.signer.authority, paper.signer.position):
        text(right, line, size=BODY_PT, bold=True)
    for _ in range(4):
        text(right, "", size=BODY_PT)
    text(right, name, size=BODY_PT, bold=True)


def page_break(doc: Document) -> None:
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def docx_bytes(doc: Document, *, day: dt.date, title_text: str, subject: str) -> bytes:
    """Return the document's bytes, the same for the same content: fixed properties, fixed zip entry dates."""
    props = doc.core_properties
    moment = dt.datetime.combine(day, dt.time(0, 0))
    props.author, props.last_modified_by, props.revision = AUTHOR, AUTHOR, 1
    props.created, props.modified, props.last_printed = moment, moment, moment
    props.title, props.subject, props.comments, props.keywords = title_text, subject, "", ""
    raw = io.BytesIO()
    doc.save(raw)
    return fixed_zip(raw.getvalue())


def fixed_zip(data: bytes) -> bytes:
    """Rewrite a zip (docx, xlsx) with every entry dated ZIP_DATE, in the same order, with the same contents."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            entry = zipfile.ZipInfo(item.filename, date_time=ZIP_DATE)
            entry.compress_type, entry.external_attr = zipfile.ZIP_DEFLATED, 0o600 << 16
            target.writestr(entry, source.read(item.filename))
    return out.getvalue()
