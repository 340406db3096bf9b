"""Pieces several documents share: the plan cited, the campaign's name in a sentence, the standings table, the
lists of collectives and individuals with their amounts."""

import datetime as dt
from decimal import Decimal

from thidua.lib import vn

from . import layout
from .facts import Facts

NBSP = "\u00a0"
BLANK = f" {NBSP * 5} "


def campaign_phrase(facts: Facts) -> str:
    """Return the campaign's name inside a sentence: "đợt thi đua cao điểm …"."""
    name = facts.campaign.name
    return name[:1].lower() + name[1:]


def plan_citation(facts: Facts) -> str:
    """Return the plan as a document cites it, leaving the space for a number or date not recorded."""
    s = facts.settings
    # The blanks are no-break spaces: a justified line does not stretch them.
    year = facts.campaign.start.year
    when = f" {vn.long_date(s.plan_date)}" if s.plan_date else f" ngày{BLANK}tháng{BLANK}năm {year}"
    number = vn.document_number(s.plan_number, s.plan_symbol).replace(" ", NBSP)
    return f"Kế hoạch số {number}{when} của Ủy ban nhân dân tỉnh {s.plan_title}"


def count(n: int) -> str:
    """Return a count as documents write it: 05, 12."""
    return f"{n:02d}"


def attainment(row: dict) -> str:
    return "" if row["attainment"] is None else vn.percent(Decimal(row["attainment"]), 2)


def points(row: dict) -> str:
    return "" if row["total"] is None else vn.number(Decimal(row["total"]), 2)


def prize_of(row: dict) -> str:
    if row["award"] is None:
        return ""
    return vn.prize(row["award"]["tier"]) + (" (chờ phân xử)" if row["needs_decision"] else "")


def standings_table(doc, facts: Facts, *, with_days: bool = False) -> None:
    """Add each ranked group's standings: rank, unit, quota, intake, attainment, completion, points, prize."""
    for group in facts.scored_groups:
        if len(facts.scored_groups) > 1:
            layout.body(doc, f"Nhóm {group['name']}:", italic=True)
        head = ["Hạng", "Đơn vị", "Chỉ tiêu", "Thu nhận", "Tỷ lệ", "Hoàn thành", "Tổng điểm", "Giải"]
        widths = [12, 45, 18, 18, 19, 22, 16, 15]
        if with_days:
            head[5] = "Hoàn thành (sớm)"
        rows = []
        for row in group["standings"]:
            rank = "" if row["rank"] is None else f"{row['rank']}{'=' if row['tie'] else ''}"
            done = vn.date(dt.date.fromisoformat(row["completed_on"])) if row["completed_on"] else "chưa"
            if with_days and row["completed_on"]:
                done = f"{done} ({facts.days_ahead(row)} ngày)"
            rows.append([rank, row["name"], vn.number(row["quota"]), vn.number(row["intake"]), attainment(row),
                         done, points(row), prize_of(row)])
        layout.table(doc, head, rows, widths, numeric={0, 2, 3, 4, 6})
    if any(row["tie"] for row in facts.competitors):
        layout.body(doc, "Dấu «=»: bằng điểm, đồng hạng; thứ tự trao giải theo phân xử của Hội đồng Thi đua - "
                         "Khen thưởng tỉnh.", italic=True)


def collectives_table(doc, facts: Facts, *, split: bool = True) -> None:
    """Add the collectives: what for, the prize's cash, the Bằng khen's cash, the total; a total row."""
    lines = facts.money.collectives
    if split:
        head = ["STT", "Tập thể", "Thành tích", "Tiền thưởng giải", "Kèm Bằng khen", "Cộng"]
        widths = [12, 43, 30, 27, 26, 27]
        rows = [[str(i), line.name, line.title, vn.number(line.prize_vnd), vn.number(line.statutory_vnd),
                 vn.number(line.total_vnd)] for i, line in enumerate(lines, start=1)]
        total = ["", "Tổng cộng", "", vn.number(sum(x.prize_vnd for x in lines)),
                 vn.number(sum(x.statutory_vnd for x in lines)), vn.number(sum(x.total_vnd for x in lines))]
        layout.table(doc, head, rows, widths, numeric={0, 3, 4, 5}, total=total)
        return
    head = ["STT", "Tên tập thể", "Thành tích", "Số tiền (đồng)"]
    rows = [[str(i), line.name, line.title, vn.number(line.total_vnd)] for i, line in enumerate(lines, start=1)]
    layout.table(doc, head, rows, [12, 76, 50, 27], numeric={0, 3},
                 total=["", "Tổng cộng", "", vn.number(sum(x.total_vnd for x in lines))])


def individuals_table(doc, facts: Facts) -> None:
    """Add the individuals in the Vietnamese order of names: name, rank and position, unit, amount; a total row."""
    lines = facts.individuals
    head = ["STT", "Họ và tên", "Cấp bậc, chức vụ", "Đơn vị", "Số tiền (đồng)"]
    rows = [[str(i), line.name, line.rank, line.unit, vn.number(line.total_vnd)]
            for i, line in enumerate(lines, start=1)]
    layout.table(doc, head, rows, [12, 37, 37, 54, 25], numeric={0, 4},
                 total=["", "Tổng cộng", "", "", vn.number(sum(x.total_vnd for x in lines))])


def budget_sentence(facts: Facts) -> str:
    """Return the total in figures and words, with its parts and the source of the money."""
    m = facts.money
    text = (f"Tổng kinh phí khen thưởng: {vn.amount_text(m.total_vnd)}, gồm tiền thưởng giải của đợt thi đua "
            f"{vn.number(m.prizes_vnd)} đồng và tiền thưởng kèm Bằng khen {vn.number(m.statutory_vnd)} đồng; nguồn "
            f"kinh phí: {facts.settings.money_source}.")
    if m.tentative:
        text += (" Chưa tính giải của các đơn vị đồng hạng đang chờ Hội đồng Thi đua - Khen thưởng tỉnh phân xử.")
    return text
