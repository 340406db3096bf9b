"""The demo's appeals, filed and decided by the real services while the results are published (demo/stages.py).

The district of the demo's «huyen» account appeals a day of its team (the «to» account's) whose report left out a
page of the register, with a photo of the register; the team appeals a rule. PC06 accepts the first — the day is
corrected and re-scored into the next snapshot — and, when the demo goes past publication, rejects the second;
at the «published» stage the second is left for PC06 to decide.
"""

import datetime as dt
import io

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum
from PIL import Image, ImageDraw

from thidua.awards.appeals import decide_appeal, file_appeal
from thidua.campaigns import clock
from thidua.campaigns.models import Campaign
from thidua.intake.models import IntakeRecord

MISSED = 150  # the applications of the page of the register the report left out


def _register_photo(day: dt.date, machine: str, count: int) -> SimpleUploadedFile:
    """Return a small PNG standing for a photo of the team's register page."""
    image = Image.new("RGB", (480, 200), (250, 248, 240))
    draw = ImageDraw.Draw(image)
    for y in range(40, 200, 32):
        draw.line([(10, y), (470, y)], fill=(180, 180, 200))
    draw.text((16, 12), f"SO TIEP NHAN HO SO CCCD - {day:%d/%m/%Y} - MAY {machine}", fill=(20, 20, 60))
    draw.text((16, 52), f"Tong so ho so trong ngay: {count}", fill=(20, 20, 60))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return SimpleUploadedFile(f"so-tiep-nhan-{day:%d-%m-%Y}.png", out.getvalue())


def demo_appeals(campaign: Campaign, day: dt.date, at, *, decide_all: bool, story: list[str]) -> None:
    """File the demo's two appeals on `day` (the day after publication) and decide them; `at(day, hour)` gives
    the moment of each act."""
    users = get_user_model().objects.select_related("profile__unit")
    district, team_user = users.get(username="huyen"), users.get(username="to")
    team = team_user.profile.unit
    limit = campaign.config.max_per_machine_day
    # The team's last day whose machine keeps within the limit once the page left out is counted.
    totals = {(day, machine): n for day, machine, n in IntakeRecord.objects.filter(campaign=campaign, team=team)
              .values("day", "machine_id").annotate(n=Sum("applications")).values_list("day", "machine_id", "n")}
    record = next((r for r in IntakeRecord.objects.filter(campaign=campaign, team=team)
                   .select_related("machine", "commune").order_by("-day", "machine__code", "commune__code")
                   if totals[r.day, r.machine_id] + MISSED <= limit), None)
    if record is None:
        return
    expected = record.applications + MISSED
    with clock.at(at(day, 9)):
        by_day = file_appeal(
            campaign=campaign, user=district, kind="day", team=team.code, day=record.day,
            machine=record.machine.code, commune=record.commune.code, expected=str(expected),
            reason=f"Sổ tiếp nhận ngày {record.day:%d/%m/%Y} ghi {expected} hồ sơ; báo cáo bỏ sót một trang sổ "
                   f"({MISSED} hồ sơ), chỉ ghi {record.applications}.",
            files=[_register_photo(record.day, record.machine.code, expected)], source="demo")
    with clock.at(at(day, 10)):
        by_rule = file_appeal(
            campaign=campaign, user=team_user, kind="rule", rule="Điểm thời gian: ngày hoàn thành chỉ tiêu",
            reason="Tổ đề nghị tính ngày hoàn thành theo ngày cuối cùng tổ thu nhận tại xã, không theo ngày tổng "
                   "hợp của huyện.", source="demo")
    story.append(f"{day:%d/%m/%Y}: {district.profile.unit.name} khiếu nại số liệu ngày {record.day:%d/%m/%Y} của "
                 f"tổ {team.code}; tổ khiếu nại cách tính điểm thời gian.")
    with clock.at(at(day, 15)):
        decision = decide_appeal(appeal=by_day, actor="pc06", role="pc06", accept=True, source="demo",
                                 reason="Đã đối chiếu sổ tiếp nhận và dữ liệu máy: đúng như khiếu nại.")
    story.append(f"{day:%d/%m/%Y}: PC06 chấp nhận khiếu nại số {by_day.number}: sửa số liệu, chấm lại thành bản "
                 f"chốt số {decision.appeal.snapshot_after.version}.")
    if decide_all:
        with clock.at(at(day, 16)):
            decide_appeal(appeal=by_rule, actor="pc06", role="pc06", accept=False, source="demo",
                          reason="Thang điểm đã được Hội đồng TĐKT duyệt: ngày hoàn thành tính theo số liệu của "
                                 "đơn vị dự thi.")
        story.append(f"{day:%d/%m/%Y}: PC06 không chấp nhận khiếu nại số {by_rule.number}.")
    else:
        story.append(f"Khiếu nại số {by_rule.number} chờ PC06 giải quyết.")
