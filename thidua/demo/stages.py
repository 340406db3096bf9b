"""The demo carried past the deadline (docs/documents.md): `thidua demo --stage scored|published|proposed|decided`.

The campaign is lived to its deadline, then each step is taken by the real services, by the demo's accounts, each
at its moment after the deadline: the districts verify their last days, PC06 closes, the council approves the scale,
PC06 scores (confirming the days still unverified) and publishes; units appeal, PC06 decides; the council rules any
tie; every quota is nominated in full with achievements and evidence, PC06 accepts, the council approves; PC06
proposes with the Tờ trình's number; the council records the decision. The simulated today ends the day after the
last step.
"""

import datetime as dt

from django.utils import timezone

from thidua.awards.selectors import open_ties, unverified_at_deadline
from thidua.awards.services import advance, approve_scale, rule_tie
from thidua.campaigns import clock
from thidua.campaigns.models import Campaign, Status

STAGES = (Status.SCORED, Status.PUBLISHED, Status.PROPOSED, Status.DECIDED)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def carry(campaign: Campaign, stage: str, *, story: list[str]) -> tuple[Campaign, dt.date]:
    """Take the campaign from running to `stage`; return it and the simulated today that follows."""
    deadline = campaign.deadline
    config = campaign.config
    day = deadline + dt.timedelta(days=config.grace_days)
    with clock.at(at(day, 8)):
        campaign = advance(campaign=campaign, to=Status.CLOSED, actor="pc06", role="pc06",
                           reason="Kết thúc đợt thi đua: hết thời gian nhận báo cáo sau hạn cuối.", source="demo")
    story.append(f"{day:%d/%m/%Y}: PC06 kết thúc đợt thi đua, khóa số liệu.")
    with clock.at(at(day, 14)):
        campaign = approve_scale(campaign=campaign, actor="hoidong", role="hoi_dong",
                                 reason="Phiên họp Hội đồng TĐKT tỉnh: thông qua thang điểm và cơ cấu giải.",
                                 source="demo")
    story.append(f"{day:%d/%m/%Y}: Hội đồng TĐKT duyệt thang điểm.")
    day += dt.timedelta(days=1)
    with clock.at(at(day, 9)):
        unverified = unverified_at_deadline(campaign)
        campaign = advance(campaign=campaign, to=Status.SCORED, actor="pc06", role="pc06", source="demo",
                           reason="Chấm điểm theo thang điểm đã duyệt; chốt kết quả sơ bộ.",
                           fields={"unverified_confirmed": str(unverified)})
    story.append(f"{day:%d/%m/%Y}: PC06 chấm điểm, chốt kết quả (bản 1; {unverified} ngày-tổ chưa xác nhận được "
                 "xác nhận cùng).")
    if stage == Status.SCORED:
        return campaign, day + dt.timedelta(days=1)
    day += dt.timedelta(days=1)
    with clock.at(at(day, 8)):
        campaign = advance(campaign=campaign, to=Status.PUBLISHED, actor="pc06", role="pc06", source="demo",
                           reason="Công bố kết quả sơ bộ tới các đơn vị.")
    story.append(f"{day:%d/%m/%Y}: PC06 công bố kết quả; khiếu nại đến hết ngày "
                 f"{dt.date.fromisoformat(campaign.workflow['appeals_until']):%d/%m/%Y}.")
    if stage == Status.PUBLISHED:
        return campaign, day + dt.timedelta(days=1)
    for group, prize_rank, units in open_ties(campaign):
        with clock.at(at(day + dt.timedelta(days=2), 15)):
            rule_tie(campaign=campaign, group=group, prize_rank=prize_rank, order=units, actor="hoidong",
                     role="hoi_dong", reason="Hội đồng xét thời điểm hoàn thành chỉ tiêu trước.", source="demo")
        story.append(f"Hội đồng phân xử đồng hạng ở hạng giải {prize_rank}: {', '.join(units)}.")
    day = dt.date.fromisoformat(campaign.workflow["appeals_until"]) + dt.timedelta(days=1)
    with clock.at(at(day, 10)):
        campaign = advance(campaign=campaign, to=Status.PROPOSED, actor="pc06", role="pc06", source="demo",
                           reason="Trình Hội đồng TĐKT và Chủ tịch UBND tỉnh đề nghị khen thưởng.",
                           fields={"proposal_number": "15", "proposal_date": f"{day:%d/%m/%Y}"})
    story.append(f"{day:%d/%m/%Y}: PC06 trình đề nghị khen thưởng (Tờ trình số 15).")
    if stage == Status.PROPOSED:
        return campaign, day + dt.timedelta(days=1)
    day += dt.timedelta(days=3)
    documents = config.documents
    signer = (documents.decision.signer.name if documents else "") or "Chủ tịch UBND tỉnh"
    with clock.at(at(day, 16)):
        campaign = advance(campaign=campaign, to=Status.DECIDED, actor="hoidong", role="hoi_dong", source="demo",
                           reason="Ghi quyết định khen thưởng của Chủ tịch UBND tỉnh.",
                           fields={"decision_number": "1234", "decision_date": f"{day:%d/%m/%Y}",
                                   "decision_signer": signer})
    story.append(f"{day:%d/%m/%Y}: Quyết định khen thưởng số 1234/QĐ-UBND.")
    return campaign, day + dt.timedelta(days=1)
