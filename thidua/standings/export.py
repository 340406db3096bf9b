"""The standings written out: the JSON of docs/scoring.md, a Vietnamese table, a ready-to-print workbook."""

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from openpyxl import Workbook

from thidua.campaigns.models import ResultState
from thidua.lib import vn
from thidua.lib.sheets import DATE, DECIMAL2, INTEGER, PERCENT2, SYNTHETIC_NOTE, xlsx_table, xlsx_titles
from thidua.scoring.core import RULE_LABELS, Standing

from .selectors import CampaignStandings


def decimal(value: Fraction | None, places: int) -> Decimal | None:
    """Return an exact fraction rounded half up to `places` decimals (only for showing it)."""
    return vn.rounded(value, places)


def _fixed(value: Fraction | None, places: int) -> str | None:
    shown = decimal(value, places)
    return None if shown is None else f"{shown:.{places}f}"


def standing_json(s: Standing) -> dict:
    """Return one competitor's line of the JSON of docs/scoring.md (plus `setup_error`)."""
    award = None
    if s.tier is not None:
        award = {"tier": s.tier.rank, "cash_vnd": s.tier.cash_vnd, "individuals": s.tier.individuals,
                 "bonus_points": s.tier.bonus_points}
    return {
        "unit": s.code, "name": s.name, "quota": s.quota, "intake": s.intake,
        "attainment": _fixed(s.attainment, 4),
        "completed_on": s.completed_on.isoformat() if s.completed_on else None,
        "points": {"intake": _fixed(s.intake_points, 2), "time": _fixed(s.time_points, 2)},
        "total": _fixed(s.total, 2),
        "rank": s.rank, "tie": s.tie, "eligible": s.eligible, "prize_rank": s.prize_rank,
        "needs_decision": s.needs_decision, "award": award, "setup_error": s.setup_error,
    }


def standings_json(result: CampaignStandings) -> dict:
    """Return the object `thidua score --format json` prints."""
    groups = []
    for g in result.groups:
        entry = {"code": g.code, "name": g.name, "kind": g.kind,
                 "standings": [standing_json(s) for s in g.standings.rows] if g.standings else []}
        if g.standings is None:
            entry["nominations"] = {"collectives": g.collectives, "individuals": g.individuals}
        groups.append(entry)
    budget = result.budget
    return {
        "campaign": result.campaign.code, "as_of": result.as_of.isoformat(), "final": result.final,
        "synthetic": result.campaign.synthetic,
        "groups": groups,
        "teams": [standing_json(s) for s in result.teams.rows],
        "budget": {"prizes_vnd": budget.prizes_vnd, "statutory_vnd": budget.statutory_vnd,
                   "total_vnd": budget.total_vnd, "tentative": budget.tentative},
    }


HEADERS = ("Hạng", "Mã", "Đơn vị", "Chỉ tiêu", "Thu nhận", "Tỷ lệ", "Hoàn thành", "Điểm thu nhận",
           "Điểm thời gian", "Tổng điểm", "Đủ điều kiện", "Hạng giải", "Khen thưởng")


def _row(s: Standing) -> list[str]:
    rank = "" if s.rank is None else f"{s.rank}{'=' if s.tie else ''}"
    award = ""
    if s.tier is not None:
        award = f"{vn.prize(s.tier.rank)}: {vn.money(s.tier.cash_vnd)}" + (" (chờ Hội đồng quyết định)"
                                                                        if s.needs_decision else "")
    return [rank, s.code, s.name, vn.number(s.quota), vn.number(s.intake),
            vn.percent(decimal(s.attainment, 4), 2) if s.attainment is not None else "",
            vn.date(s.completed_on), vn.number(decimal(s.intake_points, 2), 2),
            vn.number(decimal(s.time_points, 2), 2), vn.number(decimal(s.total, 2), 2),
            "có" if s.eligible else ("—" if s.rank is None else "không"),
            "" if s.prize_rank is None else str(s.prize_rank), award or (s.setup_error or "")]


def _text_table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    numeric = {0, 3, 4, 5, 7, 8, 9, 11}
    return ["  ".join(c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths,
                                                                                               strict=True))).rstrip()
            for r in rows]


def standings_table(result: CampaignStandings) -> str:
    """Return the standings as a Vietnamese text table, with the awards and the budget."""
    c = result.campaign
    lines = [c.name, f"Bảng xếp hạng {STATE_WORDS[result.state]} đến ngày {vn.date(result.as_of)}"
             f" (thời gian thi đua {vn.date(c.start)} – {vn.date(c.deadline)})"]
    if c.synthetic:
        lines.append(SYNTHETIC_NOTE)
    for g in result.groups:
        lines += ["", f"Nhóm {g.name} ({g.code})"]
        if g.standings is None:
            lines.append(f"  Xét chọn, không chấm điểm: {g.collectives} tập thể, {g.individuals} cá nhân đề nghị "
                         "tặng Bằng khen.")
            continue
        lines += ["  " + line for line in _text_table([list(HEADERS), *(_row(s) for s in g.standings.rows)])]
        if any(s.tie for s in g.standings.rows):
            lines.append("  «=»: bằng điểm, đồng hạng; Hội đồng TĐKT xem xét.")
    lines += ["", "Các tổ (tham khảo, không xét giải)"]
    lines += ["  " + line for line in _text_table([list(HEADERS[:-3]), *(_row(s)[:-3] for s in result.teams.rows)])]
    b = result.budget
    lines += ["", "Dự toán khen thưởng" + (" (tạm tính, còn trường hợp đồng hạng chờ quyết định)" if b.tentative
                                           else "")]
    def statutory(amount: int) -> str:
        return f" ({vn.money(amount)})" if b.statutory else ""

    for a in b.awards:
        lines.append(f"  {vn.prize(a.tier)} – {a.name}: thưởng {vn.money(a.cash_vnd)}; {a.collective}"
                     f"{statutory(a.statutory_collective_vnd)}; {a.individuals} cá nhân được đề nghị Bằng khen"
                     f"{statutory(a.statutory_individuals_vnd)}; cộng {a.bonus_points} điểm thi đua")
    for n in b.nominations:
        lines.append(f"  {n.name}: {n.collectives} tập thể và {n.individuals} cá nhân đề nghị Bằng khen"
                     f"{statutory(n.statutory_vnd)}")
    if b.statutory is None:
        lines.append("  Chưa có mức tiền thưởng kèm Bằng khen: thêm bảng [statutory] vào tệp cấu hình đợt thi đua.")
    lines.append(f"  Tiền thưởng giải: {vn.money(b.prizes_vnd)}; tiền thưởng kèm Bằng khen: "
                 f"{vn.money(b.statutory_vnd)}; tổng cộng: {vn.money(b.total_vnd)}")
    if b.statutory and b.statutory.reference:
        lines.append(f"  Căn cứ: {b.statutory.reference}")
    return "\n".join(lines) + "\n"


def _sheet_header(ws, result: CampaignStandings, title: str, width: int) -> int:
    c = result.campaign
    rows = [c.name, title, f"Đến ngày {vn.date(result.as_of)} · thời gian thi đua {vn.date(c.start)} – "
                           f"{vn.date(c.deadline)}"]
    if c.synthetic:
        rows.append(SYNTHETIC_NOTE)
    return xlsx_titles(ws, rows, width, bold=2, large=1)


def _numbers(s: Standing) -> list:
    return [s.rank, s.code, s.name, s.quota, s.intake, decimal(s.attainment, 4), s.completed_on,
            decimal(s.intake_points, 2), decimal(s.time_points, 2), decimal(s.total, 2),
            "có" if s.eligible else ("" if s.rank is None else "không"), s.prize_rank,
            (vn.prize(s.tier.rank) + (" – chờ quyết định" if s.needs_decision else "")) if s.tier else
            (s.setup_error or "")]


# The number formats of the standings' columns (1-based).
NUMBER_FORMATS = {4: INTEGER, 5: INTEGER, 6: PERCENT2, 7: DATE, 8: DECIMAL2, 9: DECIMAL2, 10: DECIMAL2}


STATE_WORDS = {ResultState.PROVISIONAL: "tạm tính", ResultState.PRELIMINARY: "sơ bộ",
               ResultState.OFFICIAL: "chính thức"}


def standings_xlsx(result: CampaignStandings, path, *, explained: frozenset[str] | None = None):
    """Write a ready-to-print workbook (to a path or a file): one sheet per scored group, the breakdown of the
    points of the competitors in `explained` (None: all), the awards and budget."""
    wb = Workbook()
    wb.remove(wb.active)
    widths = (7, 12, 36, 11, 11, 9, 12, 10, 10, 9, 9, 8, 22)
    for g in result.groups:
        if g.standings is None:
            continue
        ws = wb.create_sheet(g.code[:31])
        kind = STATE_WORDS[result.state]
        top = _sheet_header(ws, result, f"Bảng xếp hạng {kind} – {g.name}", len(HEADERS))
        xlsx_table(ws, top, HEADERS, [_numbers(s) for s in g.standings.rows], widths, formats=NUMBER_FORMATS)
    ws = wb.create_sheet("cac_to")
    top = _sheet_header(ws, result, "Xếp hạng các tổ (tham khảo, không xét giải)", len(HEADERS) - 3)
    xlsx_table(ws, top, HEADERS[:-3], [_numbers(s)[:-3] for s in result.teams.rows], widths[:-3],
               formats=NUMBER_FORMATS)
    ws = wb.create_sheet("chi_tiet")
    top = _sheet_header(ws, result, "Chi tiết cách tính điểm", 5)
    detail = []
    for g in result.groups:
        for s in (g.standings.rows if g.standings else ()):
            if explained is not None and s.code not in explained:
                continue
            detail.append([g.code, s.code, "Chỉ tiêu", f"{vn.number(s.quota)} hồ sơ", ""])
            for p in s.quota_parts:
                a = p.assignment
                how = (f"chỉ tiêu {vn.number(a.quota)}" if a.quota is not None
                       else f"{vn.number(a.daily_target)}/ngày × {p.days} ngày")
                detail.append(["", "", f"  máy {a.machine} ({a.team}) {vn.date(a.start)}–{vn.date(a.end)}", how,
                               p.amount])
            detail.append(["", "", "Thu nhận", f"{vn.number(s.intake)} hồ sơ trong {len(s.days)} ngày", s.intake])
            if s.completed_on:
                day = next(d for d in s.days if d.day == s.completed_on)
                how = (f"ngày {vn.date(s.completed_on)}: lũy kế {vn.number(day.cumulative)} (thêm "
                       f"{vn.number(day.applications)} trong ngày) ≥ chỉ tiêu {vn.number(s.quota)}")
                detail.append(["", "", "Hoàn thành", how, ""])
            for line in s.lines:
                detail.append(["", "", RULE_LABELS.get(line.rule, line.rule), line.formula, decimal(line.points, 2)])
            detail.append(["", "", "Tổng", "", decimal(s.total, 2)])
    xlsx_table(ws, top, ("Nhóm", "Đơn vị", "Mục", "Cách tính", "Giá trị"), detail, (10, 12, 42, 60, 12))
    ws = wb.create_sheet("khen_thuong")
    top = _sheet_header(ws, result, "Khen thưởng và dự toán kinh phí", 8)
    b = result.budget
    rows = [[a.tier, a.name, a.collective, a.cash_vnd, a.statutory_collective_vnd, a.individuals,
             a.statutory_individuals_vnd, a.bonus_points] for a in b.awards]
    rows += [["", n.name, f"{n.collectives} tập thể (xét chọn)", "", n.collectives * (b.statutory.collective_vnd
             if b.statutory else 0), n.individuals, n.individuals * (b.statutory.individual_vnd if b.statutory else 0),
             ""] for n in b.nominations]
    rows.append(["", "Cộng", "", b.prizes_vnd, sum(r[4] or 0 for r in rows), sum(r[5] or 0 for r in rows),
                 sum(r[6] or 0 for r in rows), ""])
    rows.append(["", "Tổng kinh phí", "", b.total_vnd, "", "", "", ""])
    xlsx_table(ws, top, ("Hạng", "Đơn vị", "Hình thức", "Tiền thưởng giải (đ)", "Tiền kèm Bằng khen tập thể (đ)",
                         "Số cá nhân", "Tiền kèm Bằng khen cá nhân (đ)", "Điểm thi đua cộng"), rows,
               (7, 36, 34, 16, 16, 10, 16, 10), formats={4: INTEGER, 5: INTEGER, 7: INTEGER})
    if isinstance(path, str | Path):
        path = Path(path)
    wb.save(path)
    return path
