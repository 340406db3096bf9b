"""The final report (Báo cáo tổng kết) of the provincial police: the campaign in figures (intake, quota, coverage of
the eligible residents by district, days ahead of the deadline), the chart of the cumulative intake, the standings,
the bonus emulation points of the districts, the lessons and the rewards proposed."""

import io
from fractions import Fraction

from docx.shared import Mm

from thidua.lib import vn

from . import blocks, layout
from .chart import cumulative_chart
from .facts import Facts, coverage_by_district, cumulative_intake

KIND = "BÁO CÁO"
# Said when the settings give no lessons: the software does not invent them.
NO_LESSONS = ("Phần nhận xét, đánh giá và bài học kinh nghiệm được tổng hợp từ ý kiến của Công an các huyện, thị xã, "
              "thành phố và bổ sung trước khi ban hành báo cáo; các số liệu của báo cáo được lập từ bản chốt kết quả "
              "nêu trên.")


def report_docx(facts: Facts) -> bytes:
    """Return the Báo cáo tổng kết as a .docx."""
    s, c, m = facts.settings, facts.campaign, facts.money
    doc = layout.new_document()
    layout.header(doc, s.police, vn.document_number(None, f"BC-{s.police.symbol}"), s.place, None, c.deadline.year)
    summary = f"Tổng kết {blocks.campaign_phrase(facts)}"
    layout.title(doc, KIND, summary)
    layout.addressed_to(doc, s.report.addressees)
    if s.report.legal_bases:
        layout.grounds(doc, list(s.report.legal_bases))

    layout.heading(doc, "I. KẾT QUẢ THỰC HIỆN")
    competitors = facts.competitors
    done = [row for row in competitors if row["completed_on"]]
    ahead = [facts.days_ahead(row) for row in done]
    layout.body(doc, "1. Kết quả thu nhận hồ sơ", bold=True)
    text = (f"Thực hiện {blocks.plan_citation(facts)}, từ ngày {vn.date(c.start)} đến ngày {vn.date(c.deadline)} các "
            f"đơn vị thu nhận {vn.number(facts.intake)} hồ sơ đề nghị cấp thẻ căn cước công dân trên chỉ tiêu "
            f"{vn.number(facts.quota)} hồ sơ, đạt {vn.ratio(_share(facts.intake, facts.quota))}. "
            f"{blocks.count(len(done))}/{blocks.count(len(competitors))} đơn vị cấp huyện hoàn thành chỉ tiêu trước "
            f"thời hạn")
    if ahead:
        mean = vn.rounded(Fraction(sum(ahead), len(ahead)), 1)
        text += f", sớm nhất {max(ahead)} ngày, trung bình {vn.number(mean, 1)} ngày."
    else:
        text += "."
    layout.body(doc, text)
    coverage = coverage_by_district(c)
    eligible, taken = sum(x.eligible for x in coverage), sum(x.taken for x in coverage)
    layout.body(doc, (f"Tỷ lệ người trong độ tuổi cấp căn cước công dân đã được thu nhận hồ sơ trên toàn tỉnh: "
                      f"{vn.ratio(_share(taken, eligible))} ({vn.number(taken)}/{vn.number(eligible)} người); "
                      f"theo từng huyện, thị xã, thành phố:"))
    layout.table(doc, ["STT", "Huyện, thị xã, thành phố", "Người trong độ tuổi", "Đã thu nhận", "Tỷ lệ"],
                 [[str(i), x.district, vn.number(x.eligible), vn.number(x.taken), vn.ratio(x.share)]
                  for i, x in enumerate(coverage, start=1)],
                 [12, 63, 33, 30, 27], numeric={0, 2, 3, 4},
                 total=["", "Toàn tỉnh", vn.number(eligible), vn.number(taken), vn.ratio(_share(taken, eligible))])

    layout.body(doc, "2. Tiến độ thu nhận", bold=True)
    codes = [row["unit"] for row in competitors]
    days, cumulative = cumulative_intake(c, codes)
    png = cumulative_chart(days, [(row["name"], cumulative[row["unit"]]) for row in competitors], c.deadline)
    picture = layout.text(doc, "", size=6)
    picture.add_run().add_picture(io.BytesIO(png), width=Mm(150))
    layout.text(doc, "Hình 1. Hồ sơ thu nhận lũy kế theo ngày của các đơn vị cấp huyện", size=12, italic=True,
                after=6)

    layout.body(doc, "3. Kết quả chấm điểm, xếp hạng", bold=True)
    layout.body(doc, (f"Theo bản chốt kết quả số {facts.snapshot.version} ngày "
                      f"{vn.date(facts.snapshot.created_at.date())} (mã kiểm tra SHA-256 "
                      f"{facts.snapshot.sha256[:16]}…); cột «Hoàn thành» ghi ngày hoàn thành chỉ tiêu và số ngày "
                      "sớm hơn hạn cuối:"))
    blocks.standings_table(doc, facts, with_days=True)

    layout.body(doc, "4. Cộng điểm thi đua phát triển kinh tế - xã hội", bold=True)
    bonus = [(p, row) for g in facts.scored_groups for row in g["standings"] if (p := row["award"])]
    if bonus:
        layout.body(doc, f"Đề nghị cộng điểm thi đua phát triển kinh tế - xã hội năm {c.deadline.year} cho các "
                         "huyện, thị xã, thành phố theo hạng giải:")
        layout.table(doc, ["Giải", "Đơn vị", "Điểm cộng"],
                     [[blocks.prize_of(row), row["name"], f"+{award['bonus_points']}"] for award, row in bonus],
                     [40, 95, 30], numeric={2})
    else:
        layout.body(doc, "Không có đơn vị đạt giải: không có điểm thi đua được cộng.")

    layout.heading(doc, "II. NHẬN XÉT, BÀI HỌC KINH NGHIỆM")
    for lesson in s.lessons or (NO_LESSONS,):
        layout.body(doc, lesson)

    layout.heading(doc, "III. ĐỀ NGHỊ KHEN THƯỞNG")
    layout.body(doc, (f"Đề nghị tặng Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh cho "
                      f"{blocks.count(len(m.collectives))} tập thể và {blocks.count(len(m.individuals))} cá nhân "
                      f"(danh sách tại Tờ trình đề nghị khen thưởng). {blocks.budget_sentence(facts)}"))
    layout.body(doc, "Trên đây là báo cáo tổng kết đợt thi đua, kính báo cáo./.")
    layout.signature(doc, s.report, s.report.signer.name)
    return layout.docx_bytes(doc, day=facts.snapshot.created_at.date(), title_text=f"{KIND} {summary}",
                             subject=c.name)


def _share(part: int, whole: int) -> Fraction | None:
    return Fraction(part, whole) if whole else None
