"""The Excel tables of the end of a campaign (documents.md): the frozen standings with every point, the
nominations, and the reward list with its amounts — one workbook, every cell through `lib.sheets`, ready to print
on A4, the same bytes for the same data."""

import datetime as dt
from decimal import Decimal

from django.db.models import Q
from django.utils import translation
from openpyxl import Workbook
from openpyxl.styles import Font

from thidua.awards.models import Nomination, NominationKind, Snapshot
from thidua.awards.money import Line, money, officer_units
from thidua.awards.selectors import latest_snapshot, prizes
from thidua.campaigns.models import Campaign
from thidua.lib import vn
from thidua.lib.sheets import (
    DATE,
    DECIMAL2,
    INTEGER,
    PERCENT2,
    SYNTHETIC_NOTE,
    xlsx_cell,
    xlsx_save,
    xlsx_table,
    xlsx_titles,
)
from thidua.standings.export import STATE_WORDS
from thidua.units.models import Membership
from thidua.units.selectors import subtree_ids

from .common import decision_text, document_moment


def _titles(ws, campaign: Campaign, snapshot: Snapshot, title: str, width: int) -> int:
    lines = [campaign.name, title,
             f"Kết quả {STATE_WORDS[campaign.result_state]} · bản chốt số {snapshot.version} đến ngày "
             f"{vn.date(snapshot.as_of)} (SHA-256 {snapshot.sha256[:16]}…)"]
    if (campaign.workflow or {}).get("decision"):
        lines.append(decision_text(campaign))
    if campaign.synthetic:
        lines.append(SYNTHETIC_NOTE)
    return xlsx_titles(ws, lines, width, bold=2, large=1)


def _number(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _day(text: str | None) -> dt.date | None:
    return None if text is None else dt.date.fromisoformat(text)


STANDING_HEADERS = ("Nhóm", "Hạng", "Đồng hạng", "Mã", "Đơn vị", "Chỉ tiêu", "Thu nhận", "Tỷ lệ", "Ngày hoàn thành",
                    "Điểm thu nhận", "Điểm thời gian", "Tổng điểm", "Đủ điều kiện", "Hạng giải", "Khen thưởng",
                    "Tiền thưởng giải (đ)", "Điểm thi đua cộng")
STANDING_WIDTHS = (18, 7, 9, 11, 34, 10, 10, 9, 12, 9, 9, 9, 9, 7, 26, 14, 9)
STANDING_FORMATS = {6: INTEGER, 7: INTEGER, 8: PERCENT2, 9: DATE, 10: DECIMAL2, 11: DECIMAL2, 12: DECIMAL2, 16: INTEGER}


def _standing_row(group: dict | None, row: dict, ruled: dict) -> list:
    """Return one competitor's line: the snapshot's values, its award as the council ruled."""
    cells = [group["name"] if group else "", row["rank"], "có" if row["tie"] else "", row["unit"], row["name"],
             row["quota"], row["intake"], _number(row["attainment"]), _day(row["completed_on"]),
             _number(row["points"]["intake"]), _number(row["points"]["time"]), _number(row["total"]),
             "có" if row["eligible"] else ("" if row["rank"] is None else "không"), row["prize_rank"]]
    if group is None:
        return cells
    prize = ruled.get((group["code"], row["unit"]))
    if prize is not None:
        award = vn.prize(prize.tier) + (" (theo phán quyết của Hội đồng)" if prize.ruled else "")
        cells += [award, prize.cash_vnd, prize.bonus_points]
    elif row["needs_decision"]:
        cells += ["Đồng hạng giải, chờ Hội đồng quyết định", None, None]
    else:
        cells += [row["setup_error"] or "", None, None]
    return cells


def _standings_sheets(wb: Workbook, campaign: Campaign, snapshot: Snapshot) -> None:
    payload = snapshot.payload()
    ruled = {(p.group, p.unit): p for p in prizes(campaign, snapshot) if not p.needs_decision}
    ws = wb.create_sheet("Xếp hạng")
    top = _titles(ws, campaign, snapshot, "BẢNG XẾP HẠNG VÀ ĐIỂM CHI TIẾT", len(STANDING_HEADERS))
    rows = [_standing_row(g, row, ruled) for g in payload["groups"] for row in g["standings"]]
    xlsx_table(ws, top, STANDING_HEADERS, rows, STANDING_WIDTHS, formats=STANDING_FORMATS)
    ws = wb.create_sheet("Các tổ")
    top = _titles(ws, campaign, snapshot, "XẾP HẠNG CÁC TỔ (tham khảo, không xét giải)", 14)
    xlsx_table(ws, top, STANDING_HEADERS[1:14], [_standing_row(None, row, ruled)[1:] for row in payload["teams"]],
               STANDING_WIDTHS[1:14], formats={k - 1: v for k, v in STANDING_FORMATS.items() if k < 15})


NOMINATION_HEADERS = ("STT", "Cấp", "Đơn vị đề nghị", "Đối tượng", "Họ tên / tập thể", "Mã", "Cấp bậc",
                      "Chức vụ", "Đơn vị công tác", "Trạng thái", "Tiêu chuẩn", "Thành tích", "Ý kiến thẩm định")
NOMINATION_WIDTHS = (6, 12, 28, 10, 26, 11, 11, 16, 28, 16, 34, 48, 20)


def _membership_days(campaign: Campaign, nominations: list[Nomination]) -> dict[int, list[tuple]]:
    """Return, per individual nomination, the periods (within the campaign, merged) its officer belonged to the
    nominating unit's subtree."""
    trees: dict[int, set[int]] = {}
    found: dict[int, list[tuple]] = {}
    officers = [n.officer_id for n in nominations if n.officer_id]
    spans = list(Membership.objects.filter(officer_id__in=officers, start__lte=campaign.deadline)
                 .filter(Q(end__isnull=True) | Q(end__gte=campaign.start))
                 .order_by("start", "id").values_list("officer_id", "unit_id", "start", "end"))
    for n in nominations:
        if n.officer_id is None:
            continue
        tree = trees.setdefault(n.nominating_unit_id, subtree_ids(campaign, n.nominating_unit_id))
        periods: list[list[dt.date]] = []
        for officer, unit, start, end in spans:  # in order of start: touching or overlapping periods merge
            if officer != n.officer_id or unit not in tree:
                continue
            start, end = max(start, campaign.start), min(end or campaign.deadline, campaign.deadline)
            if periods and start <= periods[-1][1] + dt.timedelta(days=1):
                periods[-1][1] = max(periods[-1][1], end)
            else:
                periods.append([start, end])
        found[n.id] = [(a, b) for a, b in periods]
    return found


def _standards(n: Nomination, days: list[tuple]) -> str:
    if n.kind == NominationKind.COLLECTIVE:
        return ""
    belonged = ("; ".join(f"{vn.date(a)} – {vn.date(b)}" for a, b in days) if days
                else "không có ngày nào trong đợt")
    cards = {True: "có", False: "không", None: "chưa khai báo"}[n.officer.issues_cards]
    return f"Thuộc đơn vị đề nghị: {belonged}. Trực tiếp cấp CCCD: {cards}."


def _nominations_sheet(wb: Workbook, campaign: Campaign, snapshot: Snapshot) -> None:
    nominations = list(Nomination.objects.filter(campaign=campaign)
                       .select_related("officer", "unit", "nominating_unit"))
    places = officer_units(campaign, [n.officer_id for n in nominations if n.officer_id])
    days = _membership_days(campaign, nominations)

    def named(n: Nomination) -> tuple[str, str, str]:
        return (n.officer.full_name, places.get(n.officer_id, ""), n.officer.code) if n.officer_id else (
            n.unit.name, n.unit.name, n.unit.code)

    levels = ["district", "province"]
    nominations.sort(key=lambda n: (levels.index(n.level) if n.level in levels else len(levels),
                                    n.nominating_unit.code, n.kind != NominationKind.COLLECTIVE,
                                    vn.name_key(named(n)[0]), named(n)[1], named(n)[2]))
    rows = []
    for i, n in enumerate(nominations, start=1):
        name, unit, code = named(n)
        officer = n.officer
        rows.append([i, str(n.get_level_display()), n.nominating_unit.name, str(n.get_kind_display()), name, code,
                     officer.rank if officer else "", officer.position if officer else "", unit,
                     str(n.get_status_display()), _standards(n, days.get(n.id, [])), n.achievements,
                     n.review_reason])
    ws = wb.create_sheet("Đề nghị")
    top = _titles(ws, campaign, snapshot, "DANH SÁCH ĐỀ NGHỊ KHEN THƯỞNG (mọi đề nghị, mọi trạng thái)",
                  len(NOMINATION_HEADERS))
    xlsx_table(ws, top, NOMINATION_HEADERS, rows, NOMINATION_WIDTHS)


REWARD_HEADERS = ("STT", "Họ tên / tập thể", "Mã", "Cấp bậc, chức vụ", "Đơn vị", "Giải / nhóm thi đua",
                  "Tiền thưởng giải (đ)", "Tiền kèm Bằng khen (đ)", "Cộng (đ)")
REWARD_WIDTHS = (6, 30, 11, 22, 30, 28, 14, 14, 14)


def people_order(lines) -> list[Line]:
    """Return individuals in the Vietnamese order of documents.md: the name, then the unit, then the code."""
    return sorted(lines, key=lambda line: (vn.name_key(line.name), line.unit, line.code))


def _rewards_sheet(wb: Workbook, campaign: Campaign, snapshot: Snapshot) -> None:
    m = money(campaign, snapshot=snapshot, approved_only=True)
    ws = wb.create_sheet("Khen thưởng")
    top = _titles(ws, campaign, snapshot, "DANH SÁCH KHEN THƯỞNG VÀ KINH PHÍ", len(REWARD_HEADERS))
    rows, bold = [], []

    def section(title: str, lines: list[Line]) -> None:
        bold.append(len(rows))
        rows.append(["", title, "", "", "", "", None, None, None])
        for i, line in enumerate(lines, start=1):
            rows.append([i, line.name, line.code, line.rank, line.unit if line.kind == NominationKind.INDIVIDUAL
                         else "", line.title, line.prize_vnd, line.statutory_vnd, line.total_vnd])
        bold.append(len(rows))
        rows.append(["", f"Cộng {title.lower()} ({len(lines)})", "", "", "", "",
                     sum(x.prize_vnd for x in lines), sum(x.statutory_vnd for x in lines),
                     sum(x.total_vnd for x in lines)])

    section("Tập thể", list(m.collectives))
    section("Cá nhân", people_order(m.individuals))
    bold.append(len(rows))
    rows.append(["", "TỔNG CỘNG", "", "", "", "", m.prizes_vnd, m.statutory_vnd, m.total_vnd])
    last = xlsx_table(ws, top, REWARD_HEADERS, rows, REWARD_WIDTHS, formats={7: INTEGER, 8: INTEGER, 9: INTEGER})
    for index in bold:
        for cell in ws[top + 1 + index]:
            cell.font = Font(bold=True)
    notes = [f"Bằng chữ: {vn.amount_words(m.total_vnd)}."]
    if m.tentative:
        notes.append("Còn giải đồng hạng chờ Hội đồng Thi đua – Khen thưởng quyết định: chưa tính vào danh sách.")
    statutory = campaign.config.statutory
    if statutory and statutory.reference:
        notes.append(f"Tiền kèm Bằng khen theo {statutory.reference}.")
    for i, text in enumerate(notes, start=last + 2):
        xlsx_cell(ws.cell(i, 1), text)
        ws.merge_cells(start_row=i, start_column=1, end_row=i, end_column=len(REWARD_HEADERS))
        ws.cell(i, 1).font = Font(italic=True, bold=i == last + 2)


def reward_workbook(campaign: Campaign, snapshot: Snapshot | None, path_or_buffer) -> None:
    """Write the workbook (to a path or a file) of a scored campaign's snapshot (the latest when None): the
    standings with every point, the teams, the nominations, the reward list with its amounts."""
    snapshot = snapshot or latest_snapshot(campaign)
    if snapshot is None:
        raise ValueError("Đợt thi đua chưa có bản chốt kết quả: chấm điểm trước khi lập bảng tính khen thưởng.")
    wb = Workbook()
    wb.remove(wb.active)
    with translation.override("vi"):
        _standings_sheets(wb, campaign, snapshot)
        _nominations_sheet(wb, campaign, snapshot)
        _rewards_sheet(wb, campaign, snapshot)
    wb.properties.title = f"Khen thưởng – {campaign.name}"
    wb.properties.creator = "thidua"
    wb.properties.language = "vi-VN"
    xlsx_save(wb, path_or_buffer, document_moment(campaign, snapshot).replace(tzinfo=None))
