"""The decision of the provincial chairman: Điều 1 awards the Bằng khen (and the cash) to the collectives and
individuals of the annexed lists, Điều 2 the money and its source, Điều 3 who executes it; Phụ lục I the
collectives, Phụ lục II the individuals (in the Vietnamese order of names)."""

from thidua.lib import vn

from . import blocks, layout
from .facts import Facts

KIND = "QUYẾT ĐỊNH"


def decision_docx(facts: Facts) -> bytes:
    """Return the Quyết định khen thưởng with its two annexes as a .docx."""
    s, c, m = facts.settings, facts.campaign, facts.money
    number = vn.document_number(facts.decision_number, f"QĐ-{s.committee.symbol}")
    doc = layout.new_document()
    layout.header(doc, s.committee, number, s.place, facts.decision_date, c.deadline.year)
    summary = (f"Về việc tặng Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh cho các tập thể, cá nhân có thành tích "
               f"xuất sắc trong {blocks.campaign_phrase(facts)}")
    layout.title(doc, KIND, summary)
    layout.text(doc, s.decider, bold=True, after=12)
    proposal = vn.document_number(facts.proposal_number, f"TTr-{s.police.symbol}")
    when = f" {vn.long_date(facts.proposal_date)}" if facts.proposal_date else ""
    layout.grounds(doc, [*s.decision.legal_bases, f"Căn cứ {blocks.plan_citation(facts)}",
                         f"Xét đề nghị của {s.proposer} tại Tờ trình số {proposal}{when}"])
    layout.text(doc, "QUYẾT ĐỊNH:", bold=True, before=6, after=12)
    collectives, individuals = blocks.count(len(m.collectives)), blocks.count(len(m.individuals))
    layout.lead_in(doc, "Điều 1. ", (
        f"Tặng Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh cho {collectives} tập thể và {individuals} cá nhân (có "
        f"danh sách kèm theo tại Phụ lục I và Phụ lục II) đã có thành tích xuất sắc trong "
        f"{blocks.campaign_phrase(facts)}."))
    layout.lead_in(doc, "Điều 2. ", (
        f"Kèm theo Bằng khen, các tập thể và cá nhân được thưởng số tiền theo danh sách kèm theo (tiền thưởng giải "
        f"của đợt thi đua và tiền thưởng kèm Bằng khen theo quy định). Tổng số tiền: {vn.amount_text(m.total_vnd)}. "
        f"Nguồn kinh phí: {s.money_source}."))
    layout.lead_in(doc, "Điều 3. ", (
        f"Quyết định này có hiệu lực kể từ ngày ký. {s.executors} chịu trách nhiệm thi hành Quyết định này./."))
    layout.signature(doc, s.decision, facts.decision_signer)

    reference = (f"(Kèm theo Quyết định số {number}"
                 f"{' ' + vn.long_date(facts.decision_date) if facts.decision_date else ''} của Chủ tịch Ủy ban nhân "
                 f"dân tỉnh {s.place})")
    for numeral, heading, fill in (
            ("I", "DANH SÁCH TẬP THỂ ĐƯỢC TẶNG BẰNG KHEN CỦA CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH",
             lambda: blocks.collectives_table(doc, facts, split=False)),
            ("II", "DANH SÁCH CÁ NHÂN ĐƯỢC TẶNG BẰNG KHEN CỦA CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH",
             lambda: blocks.individuals_table(doc, facts))):
        layout.restart_numbering(doc)
        layout.text(doc, f"Phụ lục {numeral}", bold=True)
        layout.text(doc, heading, bold=True)
        layout.text(doc, reference, italic=True)
        layout.rule(doc, layout.TEXT_WIDTH_MM / 4, layout.TEXT_WIDTH_MM)
        layout.text(doc, "", size=6)
        fill()
    return layout.docx_bytes(doc, day=facts.decision_date or facts.snapshot.created_at.date(),
                             title_text=f"{KIND} {summary}", subject=c.name)
