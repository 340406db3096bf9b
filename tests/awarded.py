"""A decided campaign with prize winners and nominations, for the tests of the documents.

`decided(campaign, write_source, run_import)` imports test_score_command's COMPLETING (CAH-NBA takes the first
prize, CAH-VTH the second), carries the campaign to `decided` by the real steps (decision 1234 of 12/07/2021), then
adds officers whose names test the Vietnamese order and records their nominations directly — approved, returned
and still proposed.
"""

import datetime as dt
import hashlib

from django.utils import timezone
from lifecycle import advance_to

from tests.test_score_command import COMPLETING
from thidua.awards.models import (
    Nomination,
    NominationKind,
    NominationLevel,
    NominationStatus,
    Snapshot,
    TieRuling,
    canonical_json,
)
from thidua.campaigns.models import Status
from thidua.units.models import Membership, Officer, Unit

HOSTILE = '=HYPERLINK("http://example.com/x","bấm vào")'
# (code, full name, unit, rank, position): sorted by the given name first, Ánh after An, Ân after Ánh.
OFFICERS = [
    ("CB-101", "Phạm Thị Ánh", "TO-NBA-1", "Trung úy", "Tổ viên"),
    ("CB-102", "Võ Văn Ân", "TO-VTH-1", "Thiếu úy", "Tổ viên"),
    ("CB-103", HOSTILE, "TO-VTH-1", "Trung úy", "Tổ viên"),
    ("CB-104", "Nguyễn Văn An", "TO-NBA-1", "Thượng úy", "Tổ phó"),  # the same name as CB-001, another unit
]
ACHIEVEMENTS = ("Trực tiếp thu nhận hồ sơ cấp thẻ căn cước công dân vượt chỉ tiêu, làm việc cả ngày nghỉ, được "
                "nhân dân khen ngợi; đề xuất cách tổ chức cấp lưu động tại nhà cho người già, người khuyết tật")
# The approved individuals in the order the documents print them: An (Ngã Bảy's before Vị Thanh's), Ánh, Ân, Bình,
# then the hostile name (its last word starts with v).
APPROVED_ORDER = ["CB-104", "CB-001", "CB-101", "CB-102", "CB-002", "CB-103"]


def _officers(campaign) -> dict[str, Officer]:
    units = {u.code: u for u in Unit.objects.filter(campaign=campaign)}
    for code, name, unit, rank, position in OFFICERS:
        officer = Officer.objects.create(campaign=campaign, code=code, full_name=name, rank=rank, position=position,
                                         issues_cards=True)
        Membership.objects.create(officer=officer, unit=units[unit], start=campaign.start)
    return {o.code: o for o in Officer.objects.filter(campaign=campaign)}


def nominate(campaign, *, level, nominating, kind, place, status, officer=None, unit=None, achievements=ACHIEVEMENTS,
             group="cap_huyen") -> Nomination:
    """Record a nomination directly, as the nomination flow would leave it."""
    when = timezone.make_aware(dt.datetime(2021, 7, 8, 9))
    approved = status == NominationStatus.APPROVED
    return Nomination.objects.create(
        campaign=campaign, level=level, kind=kind, nominating_unit=Unit.objects.get(campaign=campaign, code=nominating),
        group=group, place=place, officer=officer, unit=unit, achievements=achievements, status=status,
        proposed_by="huyen", proposed_at=when, reviewed_by="pc06" if approved else "", approved_by="hoidong" if
        approved else "", approved_at=when if approved else None)


def decided(campaign, write_source, run_import):
    """Return the campaign decided, with its winners and nominations (see the module's docstring)."""
    assert run_import(write_source(COMPLETING, "xlsx")).ok
    # Nominations are recorded once decided: the steps would want every nomination decided (and rechecked).
    campaign = advance_to(campaign, Status.DECIDED)
    officers = _officers(campaign)
    units = {u.code: u for u in Unit.objects.filter(campaign=campaign)}
    district, province = NominationLevel.DISTRICT, NominationLevel.PROVINCE
    individual, collective = NominationKind.INDIVIDUAL, NominationKind.COLLECTIVE
    approved = NominationStatus.APPROVED
    for place, code in enumerate(("CB-002", "CB-101", "CB-104"), start=1):
        nominate(campaign, level=district, nominating="CAH-NBA", kind=individual, place=place, status=approved,
                 officer=officers[code])
    nominate(campaign, level=district, nominating="CAH-VTH", kind=individual, place=1, status=approved,
             officer=officers["CB-001"])
    nominate(campaign, level=district, nominating="CAH-VTH", kind=individual, place=2, status=approved,
             officer=officers["CB-103"], achievements=HOSTILE)
    nominate(campaign, level=province, nominating="PC06", kind=individual, place=1, status=approved,
             officer=officers["CB-102"], group="cap_tinh")
    nominate(campaign, level=province, nominating="PC06", kind=collective, place=1, status=approved,
             unit=units["TO-VTH-1"], group="cap_tinh", achievements="Tập thể dẫn đầu về số hồ sơ thu nhận lưu động")
    nominate(campaign, level=province, nominating="PC06", kind=individual, place=None,
             status=NominationStatus.RETURNED, officer=officers["CB-003"], group="cap_tinh")
    nominate(campaign, level=province, nominating="PC06", kind=collective, place=2, status=NominationStatus.PROPOSED,
             unit=units["TO-NBA-1"], group="cap_tinh")
    return campaign


def tied(campaign):
    """Freeze a second snapshot of a decided campaign in which CAH-VTH shares CAH-NBA's first prize (both
    `needs_decision`), as an accepted appeal could leave it; return it."""
    first = Snapshot.objects.get(campaign=campaign, version=1)
    payload = first.payload()
    rows = payload["groups"][0]["standings"]
    nba, vth = (next(r for r in rows if r["unit"] == code) for code in ("CAH-NBA", "CAH-VTH"))
    for row in (nba, vth):
        row.update(rank=1, tie=True, prize_rank=1, needs_decision=True, total="103.00", award=dict(nba["award"]))
    data = canonical_json(payload).decode("utf-8")
    return Snapshot.objects.create(campaign=campaign, version=2, as_of=first.as_of, data=data,
                                   sha256=hashlib.sha256(data.encode("utf-8")).hexdigest(),
                                   created_at=first.created_at, created_by="pc06", reason="Khiếu nại được chấp nhận")


def rule(snapshot, order):
    """Record the council's ruling on the tie of `tied`."""
    return TieRuling.objects.create(campaign=snapshot.campaign, snapshot=snapshot, group="cap_huyen", prize_rank=1,
                                    order=order, ruled_by="hoidong", ruled_at=snapshot.created_at, reason="Phân xử")
