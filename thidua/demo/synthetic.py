"""Synthetic — and labelled synthetic — operations data for the reference campaign, deterministic for a seed.

The data is written as the public workbook (a CSV folder) and imported through the same importer as a
province's own files, so the demo exercises the real path. It tells a story the pages can show: most
districts finish near the deadline, one falls behind, one finishes early, weekends are slow, and a machine
of the provincial team is lent to the district that falls behind in the middle of the campaign.
"""

import csv
import datetime as dt
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

from thidua.campaigns.models import Campaign
from thidua.territory.models import AdminUnit, Level

SYNTHETIC_LABEL = "Dữ liệu mô phỏng"

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Hoàng", "Phan", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô",
          "Dương", "Lý", "Trương", "Đinh", "Lâm", "Châu", "Tô", "Lưu", "Thái"]
MIDDLE_M = ["Văn", "Minh", "Quốc", "Thanh", "Hữu", "Đức", "Thành", "Hoàng", "Trung", "Công", "Tấn"]
MIDDLE_F = ["Thị", "Ngọc", "Thanh", "Kim", "Bảo", "Thùy", "Mỹ", "Diệu"]
GIVEN_M = ["An", "Bình", "Cường", "Dũng", "Duy", "Hải", "Hiếu", "Hòa", "Hùng", "Huy", "Khang", "Khoa", "Lộc",
           "Long", "Nam", "Nhân", "Phong", "Phúc", "Quân", "Sơn", "Tài", "Thắng", "Thịnh", "Trí", "Tuấn", "Vinh"]
GIVEN_F = ["Giang", "Hạnh", "Linh", "Nga", "Ngân", "Nhi", "Phương", "Tâm", "Thảo", "Trang", "Trinh", "Tú",
           "Vy", "Yến", "Hằng", "Loan"]
RANKS = ["Hạ sĩ", "Trung sĩ", "Thượng sĩ", "Thiếu úy", "Trung úy", "Thượng úy", "Đại úy", "Thiếu tá"]
WEEKDAY_FACTOR = {5: 0.7, 6: 0.45}  # Saturday, Sunday: fewer people come


@dataclass
class Plan:
    """The generated workbook, sheet by sheet, plus the story it tells (for the demo's printout)."""

    sheets: dict[str, list[list]] = field(default_factory=dict)
    story: list[str] = field(default_factory=list)
    teams: dict[str, str] = field(default_factory=dict)  # team code -> district unit code
    districts: list[str] = field(default_factory=list)

    def write_csv_folder(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        for name, rows in self.sheets.items():
            with open(folder / f"{name}.csv", "w", encoding="utf-8", newline="") as fh:
                csv.writer(fh).writerows(rows)
        return folder


def _name(rng: random.Random) -> str:
    if rng.random() < 0.3:
        return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE_F)} {rng.choice(GIVEN_F)}"
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE_M)} {rng.choice(GIVEN_M)}"


def _police_name(district: AdminUnit) -> str:
    return "Công an " + district.name[0].lower() + district.name[1:]


def _split(items: list, parts: int, rng: random.Random) -> list[list]:
    """Split communes into `parts` contiguous, non-empty runs of uneven length."""
    cuts = sorted(rng.sample(range(1, len(items)), parts - 1)) if parts > 1 else []
    bounds = [0, *cuts, len(items)]
    return [items[a:b] for a, b in pairwise(bounds)]


def build_plan(campaign: Campaign, seed: int, until: dt.date | None = None) -> Plan:
    """Return the synthetic workbook of a campaign; the same seed gives the same workbook."""
    rng = random.Random(seed)
    config = campaign.config
    start, deadline = config.start, config.deadline
    until = min(until or deadline, deadline)
    districts = list(AdminUnit.objects.filter(structure=campaign.structure, level=Level.DISTRICT,
                                              province_code=campaign.province_code).order_by("code"))
    communes_of = defaultdict(list)
    for c in AdminUnit.objects.communes_of(campaign.structure, campaign.province_code).order_by("code"):
        communes_of[c.parent_id].append(c)
    scored = next(g.code for g in config.groups if g.kind == "scored")
    nominated = next((g.code for g in config.groups if g.kind == "nomination"), "")
    plan = Plan()
    units = [["ma_don_vi", "ten_don_vi", "loai", "ma_don_vi_cap_tren", "dia_ban", "nhom_thi_dua"],
             ["PC06", "Phòng Cảnh sát quản lý hành chính về trật tự xã hội", "phong", "", campaign.province_code,
              nominated],
             ["PC06-DOI", "Đội Hướng dẫn, đăng ký, quản lý cư trú; cấp, quản lý CMND, CCCD", "doi", "PC06", "", ""],
             ["PC06-TO", "Tổ cấp CCCD lưu động Phòng PC06", "to", "PC06-DOI", "", ""]]
    officers = [["ma_can_bo", "ho_ten", "ma_don_vi", "cap_bac", "chuc_vu", "truc_tiep_cap_cccd"]]
    machines = [["ma_may", "ma_to", "tu_ngay", "den_ngay", "chi_tieu", "chi_tieu_ngay"]]
    population = [["ma_xa", "so_nguoi_trong_do_tuoi"]]
    intake = [["ngay", "ma_may", "ma_xa", "so_ho_so"]]
    officer_no = 0

    def add_officers(unit: str, count: int, lead: str) -> None:
        nonlocal officer_no
        for i in range(count):
            officer_no += 1
            direct = "co" if unit in plan.teams or unit == "PC06-TO" else "khong"
            officers.append([f"CB{officer_no:04d}", _name(rng), unit, rng.choice(RANKS[2:] if i == 0 else RANKS),
                             lead if i == 0 else "Cán bộ", direct])

    add_officers("PC06", 2, "Trưởng phòng")
    add_officers("PC06-TO", 4, "Tổ trưởng")
    # The story: one district falls behind, one finishes early; the others end near the deadline.
    pace = {d.code: rng.uniform(1.17, 1.3) for d in districts}
    behind, early = rng.sample([d.code for d in districts], 2)
    pace[behind], pace[early] = 0.78, 1.45
    days = (deadline - start).days + 1
    lend_day = start + dt.timedelta(days=days // 2)
    machine_no = 0
    areas: dict[str, list[AdminUnit]] = {}
    plans: list[tuple[str, str, dt.date, dt.date, int, list[AdminUnit], float]] = []
    for d in districts:
        police = f"CA{d.code}"
        plan.districts.append(police)
        units.append([police, _police_name(d), "cong_an_huyen", "PC06", d.code, scored])
        add_officers(police, 2, "Trưởng Công an")
        communes = communes_of[d.id]
        teams = _split(communes, min(rng.randint(2, 4), len(communes)), rng)
        for t, served in enumerate(teams, start=1):
            team = f"{police}-T{t}"
            plan.teams[team] = police
            areas[team] = served
            units.append([team, f"Tổ cấp CCCD lưu động số {t} – {_police_name(d)}", "to", police,
                          ";".join(c.code for c in served), ""])
            add_officers(team, rng.randint(3, 6), "Tổ trưởng")
            for _ in range(rng.randint(1, 3)):
                machine_no += 1
                code = f"M{machine_no:03d}"
                # Machines work in bursts: a window of the campaign, commune by commune.
                length = rng.randint(16, 26)
                first = start + dt.timedelta(days=rng.randint(0, days - length))
                last = first + dt.timedelta(days=length - 1)
                target = rng.randrange(450, 701, 10)
                plans.append((code, team, first, last, target, served, pace[d.code]))
    # One machine with a total quota instead of a daily target, to show both kinds.
    quota_machine = plans[0][0]
    # PC06's own machine works for the province, then is lent to the district that falls behind.
    lent_to = next(t for t, p in plan.teams.items() if p == f"CA{behind}")
    pc06_target = 600
    plans.append(("M-PC06", "PC06-TO", start, lend_day - dt.timedelta(days=1), pc06_target,
                  [c for cs in communes_of.values() for c in cs][:6], 1.1))
    plans.append(("M-PC06", lent_to, lend_day, deadline, pc06_target, areas[lent_to], 1.0))
    by_code = {d.code: d for d in districts}
    plan.story = [
        f"{_police_name(by_code[behind])}: chậm tiến độ, khó hoàn thành chỉ tiêu đúng hạn.",
        f"{_police_name(by_code[early])}: hoàn thành sớm.",
        f"Máy M-PC06 của Phòng PC06 được điều động cho tổ {lent_to} từ {lend_day:%d/%m/%Y}.",
        f"Máy {quota_machine} có chỉ tiêu tổng (chi_tieu) thay cho chỉ tiêu ngày.",
    ]
    per_commune = defaultdict(int)
    for code, team, first, last, target, served, factor in plans:
        length = (last - first).days + 1
        if code == quota_machine:
            machines.append([code, team, first.isoformat(), last.isoformat(), target * length, ""])
        else:
            machines.append([code, team, first.isoformat(), last.isoformat(), "", target])
        for i in range(length):
            day = first + dt.timedelta(days=i)
            if day > until:
                break
            # Commune by commune: the machine moves on every few days; some days it splits between two.
            commune = served[min(i * len(served) // length, len(served) - 1)]
            count = target * factor * WEEKDAY_FACTOR.get(day.weekday(), 1.0) * rng.uniform(0.85, 1.15)
            count = max(0, min(round(count), config.max_per_machine_day))
            nxt = served[min((i + 1) * len(served) // length, len(served) - 1)]
            if nxt is not commune and count > 1:
                part = count // 3
                intake.append([day.isoformat(), code, nxt.code, part])
                per_commune[nxt.code] += part
                count -= part
            intake.append([day.isoformat(), code, commune.code, count])
            per_commune[commune.code] += count
    for cs in communes_of.values():
        for c in cs:
            reached = per_commune.get(c.code, 0)
            # Most communes are nearly covered by the end; the eligible count sits a little above the intake.
            population.append([c.code, max(math.ceil(reached / rng.uniform(0.82, 0.97)), rng.randint(6000, 9000))
                               if reached else rng.randint(6000, 12000)])
    plan.sheets = {"don_vi": units, "can_bo": officers, "may": machines, "dan_so": population, "thu_nhan": intake}
    return plan
