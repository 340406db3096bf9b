"""The Tờ trình of the provincial police (PC06) to the council and the provincial chairman: the campaign's results,
the standings, the collectives and individuals proposed with their cash, the total budget in figures and words."""

from fractions import Fraction

from thidua.lib import vn

from . import blocks, layout
from .facts import Facts

KIND = "TỜ TRÌNH"


def proposal_docx(facts: Facts) -> bytes:
    """Return the Tờ trình as a .docx."""
    s, c = facts.settings, facts.campaign
    doc = layout.new_document()
    layout.header(doc, s.police, vn.document_number(facts.proposal_number, f"TTr-{s.police.symbol}"), s.place,
                  facts.proposal_date, c.deadline.year)
    summary = (f"Về việc đề nghị tặng Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh cho các tập thể, cá nhân có thành "
               f"tích xuất sắc trong {blocks.campaign_phrase(facts)}")
    layout.title(doc, KIND, summary)
    layout.addressed_to(doc, s.proposal.addressees)
    layout.grounds(doc, [*s.proposal.legal_bases, f"Căn cứ {blocks.plan_citation(facts)}"])

    competitors = facts.competitors
    done = [row for row in competitors if row["completed_on"]]
    layout.heading(doc, "I. KẾT QUẢ ĐỢT THI ĐUA")
    layout.body(doc, (
        f"Đợt thi đua diễn ra từ ngày {vn.date(c.start)} đến ngày {vn.date(c.deadline)}. Các đơn vị thu nhận "
        f"{vn.number(facts.intake)} hồ sơ đề nghị cấp thẻ căn cước công dân trên chỉ tiêu {vn.number(facts.quota)} "
        f"hồ sơ, đạt {vn.ratio(_share(facts.intake, facts.quota))}; {blocks.count(len(done))}/"
        f"{blocks.count(len(competitors))} đơn vị hoàn thành chỉ tiêu trước thời hạn."))
    layout.body(doc, (
        f"Kết quả chấm điểm, xếp hạng theo thang điểm đã được Hội đồng Thi đua - Khen thưởng tỉnh thông qua (bản chốt "
        f"kết quả số {facts.snapshot.version} ngày {vn.date(facts.snapshot.created_at.date())}, mã kiểm tra SHA-256 "
        f"{facts.snapshot.sha256[:16]}…):"))
    blocks.standings_table(doc, facts)

    layout.heading(doc, "II. ĐỀ NGHỊ KHEN THƯỞNG")
    m = facts.money
    layout.body(doc, (
        f"Đề nghị Chủ tịch Ủy ban nhân dân tỉnh tặng Bằng khen cho {blocks.count(len(m.collectives))} tập thể và "
        f"{blocks.count(len(m.individuals))} cá nhân có thành tích xuất sắc, cụ thể:"))
    layout.body(doc, f"1. Tập thể ({blocks.count(len(m.collectives))}):", bold=True)
    blocks.collectives_table(doc, facts)
    layout.body(doc, f"2. Cá nhân ({blocks.count(len(m.individuals))}):", bold=True)
    blocks.individuals_table(doc, facts)

    layout.heading(doc, "III. KINH PHÍ KHEN THƯỞNG")
    layout.body(doc, blocks.budget_sentence(facts))
    to = " và ".join(s.proposal.addressees) if s.proposal.addressees else "cấp có thẩm quyền"
    layout.body(doc, f"Kính trình {to} xem xét, quyết định./.")
    layout.signature(doc, s.proposal, s.proposal.signer.name)
    return layout.docx_bytes(doc, day=facts.proposal_date or facts.snapshot.created_at.date(),
                             title_text=f"{KIND} {summary}", subject=c.name)


def _share(part: int, whole: int) -> Fraction | None:
    return Fraction(part, whole) if whole else None
