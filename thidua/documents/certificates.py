"""The Bằng khen printed onto pre-printed blanks (documents.md): one page per certificate, only the variable fields
(the recipient's name, the unit, the achievement, the decision's number and date), each in its box of the campaign's
`[certificate]` settings; and a one-page test print of those boxes to align the blanks in the printer.

Who gets a page, in this order: each prize-winning collective as the council ruled (group, tier), each approved
collective nomination, then each approved individual nomination, names in the Vietnamese order. A prize still
waiting for the council's ruling prints nothing. The same data gives the same bytes.
"""

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from fpdf import FPDF

from thidua.awards.models import Nomination, NominationKind, NominationStatus, Snapshot
from thidua.awards.money import officer_units
from thidua.awards.selectors import latest_snapshot, prizes
from thidua.campaigns.config import CERTIFICATE_FIELDS, Certificate, CertificateField
from thidua.campaigns.models import Campaign
from thidua.lib import vn
from thidua.lib.sheets import SYNTHETIC_NOTE

from .common import decision_text, document_moment

FONTS = Path(__file__).resolve().parent / "fonts"
FAMILY = "LiberationSerif"
FONT_FILES = {"": "Regular", "B": "Bold", "I": "Italic", "BI": "BoldItalic"}
ALIGN = {"left": "L", "center": "C", "right": "R"}
LINE_SPACING = 1.2  # a line's height as a multiple of the type's size
SMALLEST = 0.6  # a text too long for its box shrinks down to this share of its size, then is cut at the box
PT = 25.4 / 72  # millimetres in a point
FIELD_LABELS = {"name": "Họ tên / tên tập thể", "unit": "Cấp bậc, chức vụ, đơn vị", "achievement": "Thành tích",
                "decision": "Số, ngày quyết định"}
NOBODY = ("Chưa có Bằng khen nào để in: chưa có tập thể đạt giải (đã được Hội đồng phân xử nếu đồng hạng) và chưa "
          "có đề nghị nào được Hội đồng duyệt. Không in trang này lên phôi.")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Recipient:
    """One certificate: what its variable fields print (through `clean`)."""

    kind: str  # NominationKind
    code: str  # the unit's or the officer's code
    name: str
    unit: str
    achievement: str

    def __post_init__(self):
        for key in ("name", "unit", "achievement"):
            object.__setattr__(self, key, clean(getattr(self, key)))


def clean(text: str) -> str:
    """Return a text as it prints: composed (NFC, one glyph per letter), no control character, single spaces
    within each line."""
    text = _CONTROL.sub(" ", unicodedata.normalize("NFC", text or ""))
    return "\n".join(" ".join(line.split()) for line in text.splitlines()).strip()


def prize_achievement(campaign: Campaign, tier: int, group_name: str) -> str:
    """Return a prize winner's achievement as the certificate writes it."""
    return (f"Đã có thành tích xuất sắc trong {campaign.name}, đạt giải {vn.PRIZE_RANKS.get(tier, tier)} "
            f"khối {group_name}")


def _collective_unit(unit) -> str:
    # A collective below a district (a team) names its parent, unless its own name already does; a district's
    # parent is the province's department, which the blank's heading already stands for.
    parent = unit.parent
    if parent is None or parent.parent_id is None or parent.name in unit.name:
        return ""
    return parent.name


def recipients(campaign: Campaign, snapshot: Snapshot | None = None) -> list[Recipient]:
    """Return who gets a certificate, in the order they print (see the module's docstring)."""
    config = campaign.config
    group_names = {g.code: g.name for g in config.groups}
    found = []
    winners = [p for p in prizes(campaign, snapshot) if not p.needs_decision]
    units = {u.code: u for u in campaign.units.filter(code__in=[p.unit for p in winners]).select_related("parent")}
    for p in winners:
        unit = units.get(p.unit)
        found.append(Recipient(NominationKind.COLLECTIVE, p.unit, p.name,
                               _collective_unit(unit) if unit else "",
                               prize_achievement(campaign, p.tier, group_names.get(p.group, p.group))))
    approved = list(Nomination.objects.filter(campaign=campaign, status=NominationStatus.APPROVED)
                    .select_related("officer", "unit__parent").order_by("level", "nominating_unit__code", "id"))
    generic = f"Đã có thành tích xuất sắc trong {campaign.name}"
    for n in approved:
        if n.kind == NominationKind.COLLECTIVE:
            found.append(Recipient(NominationKind.COLLECTIVE, n.unit.code, n.unit.name, _collective_unit(n.unit),
                                   clean(n.achievements) or generic))
    places = officer_units(campaign, [n.officer_id for n in approved if n.officer_id])
    people = []
    for n in approved:
        if n.kind == NominationKind.INDIVIDUAL:
            o = n.officer
            unit = places.get(o.id, "")
            where = " ".join(x for x in (o.position, unit) if x)
            people.append(Recipient(NominationKind.INDIVIDUAL, o.code, o.full_name,
                                    ", ".join(x for x in (o.rank, where) if x), clean(n.achievements) or generic))
    people.sort(key=lambda r: (vn.name_key(r.name), r.unit, r.code))
    return found + people


def _new_pdf(settings: Certificate, moment: dt.datetime, title: str) -> FPDF:
    landscape = settings.page_width > settings.page_height
    pdf = FPDF(orientation="L" if landscape else "P", unit="mm",
               format=(min(settings.page_width, settings.page_height), max(settings.page_width, settings.page_height)))
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.c_margin = 0
    for style, file in FONT_FILES.items():
        pdf.add_font(FAMILY, style, str(FONTS / f"{FAMILY}-{file}.ttf"))
    pdf.set_creation_date(moment)
    pdf.set_producer("thidua")
    pdf.set_creator("thidua")
    pdf.set_title(title)
    pdf.set_lang("vi")
    return pdf


def _mm(value: float) -> str:
    return vn.number(Decimal(str(value)), 0 if value == int(value) else 1)


def _style(field: CertificateField) -> str:
    return ("B" if field.bold else "") + ("I" if field.italic else "")


def _fit(pdf: FPDF, field: CertificateField, text: str) -> tuple[float, list[str]]:
    """Return the type size and the lines of a text in its box: the field's size, smaller for a text too long."""
    size = field.size
    while True:
        pdf.set_font(FAMILY, _style(field), size)
        lines = pdf.multi_cell(field.width, size * PT * LINE_SPACING, text, align=ALIGN[field.align], dry_run=True,
                               output="LINES")
        if len(lines) * size * PT * LINE_SPACING <= field.height or size <= field.size * SMALLEST:
            return size, lines
        size = round(size - 0.5, 1)


def _print_field(pdf: FPDF, field: CertificateField, text: str, offset: tuple[float, float]) -> None:
    """Print a text in its box, centred upright in it, wrapped, never past its edges."""
    if not text:
        return
    size, lines = _fit(pdf, field, text)
    line = size * PT * LINE_SPACING
    x, y = field.x + offset[0], field.y + offset[1]
    top = y + max(0.0, (field.height - len(lines) * line) / 2)
    with pdf.rect_clip(x, y, field.width, field.height):
        pdf.set_xy(x, top)
        pdf.multi_cell(field.width, line, text, align=ALIGN[field.align])


def certificates_pdf(campaign: Campaign, snapshot: Snapshot | None, path_or_buffer) -> int:
    """Write the certificates (to a path or a file): a page per recipient, only the variable fields; return the
    number of certificates (with none, the file holds one plain page saying so)."""
    snapshot = snapshot or latest_snapshot(campaign)
    settings = campaign.config.certificate
    pdf = _new_pdf(settings, document_moment(campaign, snapshot), f"Bằng khen – {campaign.name}")
    offset = (settings.offset_x, settings.offset_y)
    decision = decision_text(campaign)
    people = recipients(campaign, snapshot)
    for r in people:
        pdf.add_page()
        pdf.set_text_color(0, 0, 0)
        for key, text in (("name", r.name), ("unit", r.unit), ("achievement", r.achievement),
                          ("decision", decision)):
            _print_field(pdf, getattr(settings, key), text, offset)
        _synthetic_label(pdf, campaign, settings)
    if not people:
        # A file of no page is not a PDF every viewer opens: one plain page says why (not to be printed on a blank).
        pdf.add_page()
        pdf.set_font(FAMILY, "", 14)
        pdf.set_xy(20, settings.page_height / 2 - 10)
        pdf.multi_cell(settings.page_width - 40, 7, NOBODY, align="C")
    _output(pdf, path_or_buffer)
    return len(people)


def _synthetic_label(pdf: FPDF, campaign: Campaign, settings: Certificate) -> None:
    """Label a page of generated demo data at its foot, so that it is never taken for a real certificate."""
    if campaign.synthetic:
        pdf.set_font(FAMILY, "B", 9)
        pdf.set_text_color(164, 0, 0)
        pdf.set_xy(0, settings.page_height - 12)
        pdf.cell(settings.page_width, 4, SYNTHETIC_NOTE, align="C")
        pdf.set_text_color(0, 0, 0)


def _ruler(pdf: FPDF, width: float, height: float) -> None:
    """Draw millimetre rulers along the four edges: a tick each mm, longer each 5 mm, numbered each 10 mm."""
    pdf.set_line_width(0.1)
    pdf.set_font(FAMILY, "", 5)
    for mm in range(0, int(width) + 1):
        tick = 5 if mm % 10 == 0 else 3 if mm % 5 == 0 else 1.5
        pdf.line(mm, 0, mm, tick)
        pdf.line(mm, height - tick, mm, height)
        if mm % 10 == 0 and 0 < mm < width:
            pdf.text(mm + 0.4, 7, str(mm))
            pdf.text(mm + 0.4, height - 5.5, str(mm))
    for mm in range(0, int(height) + 1):
        tick = 5 if mm % 10 == 0 else 3 if mm % 5 == 0 else 1.5
        pdf.line(0, mm, tick, mm)
        pdf.line(width - tick, mm, width, mm)
        if mm % 10 == 0 and 0 < mm < height:
            pdf.text(6, mm + 1.8, str(mm))
            pdf.text(width - 6 - pdf.get_string_width(str(mm)), mm + 1.8, str(mm))


def _crosshair(pdf: FPDF, x: float, y: float, page_width: float) -> None:
    pdf.set_line_width(0.2)
    pdf.line(x - 6, y, x + 6, y)
    pdf.line(x, y - 6, x, y + 6)
    pdf.circle(x=x, y=y, radius=3)
    pdf.set_font(FAMILY, "", 6)
    label = f"({_mm(x)}; {_mm(y)}) mm"
    left = x + 7 if x < page_width / 2 else x - 7 - pdf.get_string_width(label)
    pdf.text(left, y + 2.6, label)


def frame_pdf(campaign: Campaign, path_or_buffer) -> None:
    """Write the one-page test print (to a path or a file): each field's box outlined and labelled where it prints
    (the offset applied) with a sample text in grey, millimetre rulers on the edges and crosshairs near the
    corners."""
    settings = campaign.config.certificate
    w, h = settings.page_width, settings.page_height
    pdf = _new_pdf(settings, document_moment(campaign, None), f"In thử khung Bằng khen – {campaign.name}")
    pdf.add_page()
    pdf.set_draw_color(0, 0, 0)
    _ruler(pdf, w, h)
    for x, y in ((15, 15), (w - 15, 15), (15, h - 15), (w - 15, h - 15)):
        _crosshair(pdf, x, y, w)
    pdf.set_font(FAMILY, "B", 11)
    pdf.set_xy(30, 20)
    pdf.multi_cell(w - 60, 5.5, f"TRANG IN THỬ KHUNG BẰNG KHEN — khổ {_mm(w)} × {_mm(h)} mm",
                   align="C")
    pdf.set_font(FAMILY, "", 9)
    pdf.set_x(30)
    pdf.multi_cell(w - 60, 4.5, clean(
        f"{campaign.name}. In trang này lên một phôi Bằng khen (hoặc lên giấy thường rồi đặt chồng lên phôi, soi "
        "dưới đèn): mỗi khung là chỗ một trường được in. Nếu các khung lệch so với phôi, đo độ lệch trên thước "
        "milimét và sửa offset_x, offset_y (hoặc vị trí từng ô) trong bảng [certificate] của tệp cấu hình. "
        f"Độ lệch đang dùng: ngang {_mm(settings.offset_x)} mm, dọc {_mm(settings.offset_y)} mm."),
        align="C")
    samples = {"name": "Nguyễn Văn Ấn", "unit": "Đại úy, Tổ trưởng Tổ cấp CCCD lưu động số 1",
               "achievement": prize_achievement(campaign, 1, "Công an cấp huyện"), "decision": decision_text(campaign)}
    pdf.set_text_color(150, 150, 150)
    for key in CERTIFICATE_FIELDS:
        _print_field(pdf, getattr(settings, key), samples[key], (settings.offset_x, settings.offset_y))
    pdf.set_dash_pattern(dash=1.5, gap=1)
    for key in CERTIFICATE_FIELDS:
        field = getattr(settings, key)
        x, y = field.x + settings.offset_x, field.y + settings.offset_y
        pdf.set_draw_color(200, 0, 0)
        pdf.set_line_width(0.3)
        pdf.rect(x, y, field.width, field.height)
        pdf.set_text_color(200, 0, 0)
        pdf.set_font(FAMILY, "", 7)
        pdf.text(x + 1, y + 2.8, f"{key} — {FIELD_LABELS[key]}")
        where = (f"x {_mm(field.x)}, y {_mm(field.y)}, {_mm(field.width)} × {_mm(field.height)} mm, "
                 f"cỡ chữ {_mm(field.size)}, {field.align}")
        pdf.text(x + field.width - 1 - pdf.get_string_width(where), y + field.height - 1, where)
    pdf.set_dash_pattern()
    pdf.set_text_color(0, 0, 0)
    _synthetic_label(pdf, campaign, settings)
    _output(pdf, path_or_buffer)


def _output(pdf: FPDF, path_or_buffer) -> None:
    data = bytes(pdf.output())
    if isinstance(path_or_buffer, str | Path):
        Path(path_or_buffer).write_bytes(data)
    else:
        path_or_buffer.write(data)
