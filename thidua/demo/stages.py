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

from .appeals import demo_appeals

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
    demo_appeals(campaign, day, at, decide_all=stage != Status.PUBLISHED, story=story)
    day += dt.timedelta(days=1)
    with clock.at(at(day, 9)):
        made = nominate_in_full(campaign)
    with clock.at(at(day, 15)):
        accepted = decide_nominations(campaign, every=2 if stage == Status.PUBLISHED else 1)
    story.append(f"{day:%d/%m/%Y}: các đơn vị đạt giải và PC06 đề nghị khen thưởng {made} trường hợp (kèm thành "
                 f"tích và tệp minh chứng); PC06 thẩm định {accepted}.")
    if stage == Status.PUBLISHED:
        return campaign, day + dt.timedelta(days=1)
    for group, prize_rank, units in open_ties(campaign):
        with clock.at(at(day + dt.timedelta(days=1), 15)):
            rule_tie(campaign=campaign, group=group, prize_rank=prize_rank, order=units, actor="hoidong",
                     role="hoi_dong", reason="Hội đồng xét thời điểm hoàn thành chỉ tiêu trước.", source="demo")
        story.append(f"Hội đồng phân xử đồng hạng ở hạng giải {prize_rank}: {', '.join(units)}.")
    with clock.at(at(day + dt.timedelta(days=2), 9)):
        made = nominate_in_full(campaign)  # the competitors that waited for the council's ruling
        decide_nominations(campaign)
    with clock.at(at(day + dt.timedelta(days=2), 16)):
        approved = approve_nominations(campaign)
    story.append(f"{day + dt.timedelta(days=2):%d/%m/%Y}: Hội đồng TĐKT duyệt {approved} đề nghị khen thưởng"
                 + (f" ({made} đề nghị sau phân xử đồng hạng)." if made else "."))
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


# --- issue 10: nominations --------------------------------------------------------------------------------------

ACHIEVEMENTS = (
    "Trực tiếp thu nhận hồ sơ tại các ấp xa, làm thêm buổi tối và ngày nghỉ; được nhân dân gửi thư khen.",
    "Hướng dẫn người cao tuổi, người khuyết tật làm thủ tục tại nhà; không để sót người trong độ tuổi.",
    "Đề xuất cách sắp xếp lịch thu nhận theo ấp, rút ngắn thời gian chờ của người dân.",
    "Thu nhận vượt chỉ tiêu của tổ; hồ sơ đúng, đủ, không phải làm lại.",
)


def _evidence(name: str):
    """Return a small picture of a letter of praise, as an uploaded file."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (240, 120), "white")
    ImageDraw.Draw(image).text((12, 50), "Thu khen", fill="black")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), "image/png")


def nominate_in_full(campaign: Campaign) -> int:
    """Nominate every quota not waiting for the council in full, by the nominating unit's own account (PC06 for the
    provincial level), through the real service; return how many nominations were made."""
    from thidua.accounts.models import Profile, Role
    from thidua.awards import nominations as service
    from thidua.units.models import Kind, Unit

    made = 0
    used = service.places_used(campaign)
    for quota in service.quotas(campaign):
        if quota.waiting:
            continue
        if quota.level == "district":
            profile = Profile.objects.filter(role=Role.DISTRICT, unit=quota.unit).select_related("user").first()
            if profile is None:
                continue
            actor = service.Actor(profile.user.get_username(), Role.DISTRICT, quota.unit.id)
        else:
            actor = service.Actor("pc06", Role.PC06, None)
        if quota.kind == "individual":
            candidates = [("officer", s.officer) for s in service.eligible_officers(campaign, quota) if s.ok]
        else:
            candidates = [("collective", u) for u in Unit.objects.filter(campaign=campaign, kind=Kind.TO)]
        free = quota.size - used.get(quota.key, 0)
        for kind, candidate in candidates:
            if free <= 0:
                break
            try:
                service.nomination_propose(
                    campaign=campaign, actor=actor, level=quota.level, kind=quota.kind, nominating_unit=quota.unit,
                    officer=candidate if kind == "officer" else None,
                    collective=candidate if kind == "collective" else None,
                    achievements=ACHIEVEMENTS[made % len(ACHIEVEMENTS)],
                    files=[_evidence(f"thu-khen-{candidate.code.lower()}.png")], source="demo")
            except service.NominationError:
                continue  # nominated already by another unit
            made += 1
            free -= 1
    return made


def decide_nominations(campaign: Campaign, every: int = 1) -> int:
    """PC06 accepts the proposed nominations (every `every`-th one); return how many."""
    from thidua.accounts.models import Role
    from thidua.awards import nominations as service
    from thidua.awards.models import Nomination, NominationStatus

    pc06 = service.Actor("pc06", Role.PC06, None)
    waiting = Nomination.objects.filter(campaign=campaign, status=NominationStatus.PROPOSED).order_by("id")
    chosen = list(waiting)[::every]
    for nomination in chosen:
        service.nomination_review(nomination=nomination, actor=pc06, accept=True, source="demo")
    return len(chosen)


def approve_nominations(campaign: Campaign) -> int:
    """The council approves every nomination PC06 accepted; return how many."""
    from thidua.accounts.models import Role
    from thidua.awards import nominations as service
    from thidua.awards.models import Nomination, NominationStatus

    council = service.Actor("hoidong", Role.COUNCIL, None)
    accepted = list(Nomination.objects.filter(campaign=campaign, status=NominationStatus.ACCEPTED).order_by("id"))
    for nomination in accepted:
        service.nomination_approve(nomination=nomination, actor=council, approve=True, source="demo")
    return len(accepted)
