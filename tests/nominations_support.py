"""What the nominations' tests share: prize winners set in a snapshot, officers with dated memberships, personas.

The base dataset's districts complete nothing, so no one wins a prize by the data; `crown` takes the frozen
standings and records the next snapshot with the tiers given (as an accepted appeal's correction would), so that
`thidua.awards.selectors.prizes` — the one reader of prize winners — sees them.
"""

import datetime as dt
import hashlib
import io

from PIL import Image

from thidua.awards.models import Snapshot, canonical_json
from thidua.awards.selectors import latest_snapshot
from thidua.campaigns import clock
from thidua.units.models import Membership, Officer, Unit

D = dt.date
# code → (name, issues cards, [(unit, start, end)])
OFFICERS = {
    "CB-004": ("Phạm Thị Dung", True, [("TO-VTH-1", D(2021, 1, 1), None)]),
    "CB-005": ("Võ Minh Em", True, [("CAH-VTH", D(2021, 2, 1), None)]),
    "CB-006": ("Đặng Văn Giàu", True, [("TO-VTH-1", D(2020, 1, 1), D(2020, 12, 31))]),
    "CB-007": ("Huỳnh Thị Hoa", True, [("TO-NBA-1", D(2021, 1, 1), D(2021, 3, 31)),
                                       ("TO-VTH-1", D(2021, 4, 1), None)]),
    "CB-008": ("Lý Văn Khoa", None, [("TO-NBA-1", D(2021, 1, 1), None)]),
    "CB-009": ("Mai Văn Lộc", True, [("TO-NBA-1", D(2021, 6, 30), None)]),
}


def add_officers(campaign) -> None:
    units = {u.code: u for u in Unit.objects.filter(campaign=campaign)}
    for code, (name, issues, memberships) in OFFICERS.items():
        officer = Officer.objects.create(campaign=campaign, code=code, full_name=name, issues_cards=issues)
        for unit, start, end in memberships:
            Membership.objects.create(officer=officer, unit=units[unit], start=start, end=end)


def crown(campaign, tiers: dict[str, int], *, tied: tuple[str, ...] = ()) -> Snapshot:
    """Record the next snapshot with the given units at the given tiers of the district group (`tied`: sharing
    their prize rank, waiting for the council's ruling)."""
    previous = latest_snapshot(campaign)
    payload = previous.payload()
    config = {g.code: g for g in campaign.config.groups}
    for group in payload["groups"]:
        if group["kind"] != "scored":
            continue
        by_rank = {t.rank: t for t in config[group["code"]].tiers}
        for row in group["standings"]:
            tier = tiers.get(row["unit"])
            row["needs_decision"] = row["tie"] = row["unit"] in tied
            row["eligible"] = tier is not None
            row["prize_rank"] = tier
            row["award"] = None if tier is None else {
                "tier": tier, "cash_vnd": by_rank[tier].cash_vnd, "individuals": by_rank[tier].individuals,
                "bonus_points": by_rank[tier].bonus_points}
    data = canonical_json(payload).decode("utf-8")
    return Snapshot.objects.create(
        campaign=campaign, version=previous.version + 1, as_of=previous.as_of, data=data,
        sha256=hashlib.sha256(data.encode("utf-8")).hexdigest(), created_at=clock.now(), created_by="kiem-thu",
        reason="Kết quả sau khiếu nại (kiểm thử)")


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, "PNG")
    return buffer.getvalue()
