"""Synthetic — and labelled synthetic — operations data for the reference campaign, deterministic for a seed.

The units, officers, machines and eligible population are written as the public workbook (a CSV folder) and
imported through the same importer as a province's own files; the daily intake is entered team by team and day by
day through the daily report's services (demo/services.py), so that the demo exercises the real paths.

It tells the story of a campaign as the teams of 2021 lived it: each district police has one or two machines
(a second one for the largest, delivered a few weeks in) that move between its mobile teams every few weeks, commune by
commune; the first days are slow (a new system, new staff); weekends, public holidays and the election day of
23/05/2021 are slower; a machine is sometimes down for a day. Most districts finish near the deadline, one falls
behind, one finishes early, and PC06 lends its own machine to the district that falls behind. The people are
officers with Vietnamese names, the ranks of the People's Public Security and the positions of their units.
"""

import csv
import dataclasses
import datetime as dt
import itertools
import math
import random
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

from thidua.accounts.models import Role
from thidua.campaigns.models import Campaign
from thidua.territory.models import AdminUnit, Level

SYNTHETIC_LABEL = "Dữ liệu mô phỏng"

# Family names weighted roughly as in the Mekong delta (Nguyễn first by far; Huỳnh and Võ common in the south).
FAMILY = {"Nguyễn": 30, "Trần": 11, "Lê": 9, "Phạm": 6, "Huỳnh": 6, "Võ": 5, "Phan": 4, "Trương": 3, "Đặng": 2,
          "Bùi": 2, "Đỗ": 2, "Hồ": 2, "Ngô": 2, "Dương": 2, "Lý": 2, "Lâm": 2, "Châu": 1, "Tô": 1, "Đinh": 1,
          "Lưu": 1, "Thái": 1, "Mai": 1, "Cao": 1, "Danh": 1}
MIDDLE_M = ["Văn", "Minh", "Quốc", "Thanh", "Hữu", "Đức", "Thành", "Hoàng", "Trung", "Công", "Tấn", "Phước",
            "Chí", "Ngọc", "Hoài"]
MIDDLE_F = ["Thị", "Ngọc", "Thanh", "Kim", "Bảo", "Thùy", "Mỹ", "Diệu", "Hồng", "Phương"]
GIVEN_M = ["An", "Bình", "Cường", "Dũng", "Duy", "Hải", "Hiếu", "Hòa", "Hùng", "Huy", "Khang", "Khoa", "Lộc",
           "Long", "Nam", "Nhân", "Phong", "Phúc", "Quân", "Sơn", "Tài", "Thắng", "Thịnh", "Trí", "Tuấn", "Vinh",
           "Toàn", "Tâm", "Hậu", "Kiệt", "Nghĩa", "Thuận", "Trọng", "Bảo", "Đạt", "Hưng"]
# Names the lists could draw that belong to the country's well-known leaders: never given to a synthetic officer.
FAMOUS = {"Nguyễn Tấn Dũng", "Võ Văn Kiệt", "Nguyễn Thanh Long", "Lê Minh Hưng", "Nguyễn Văn An"}
GIVEN_F = ["Giang", "Hạnh", "Linh", "Nga", "Ngân", "Nhi", "Phương", "Tâm", "Thảo", "Trang", "Trinh", "Tú",
           "Vy", "Yến", "Hằng", "Loan", "Diễm", "Mai", "Xuân", "Thủy"]
# The ranks of the People's Public Security, lowest first; each position draws from a plausible span of them.
RANKS = ["Hạ sĩ", "Trung sĩ", "Thượng sĩ", "Thiếu úy", "Trung úy", "Thượng úy", "Đại úy", "Thiếu tá", "Trung tá",
         "Thượng tá", "Đại tá"]
QLHC = "Đội Cảnh sát QLHC về TTXH"

WEEKDAY_FACTOR = {5: 0.8, 6: 0.55}  # Saturday, Sunday: the teams work, fewer people come
# Days of 2021 when few people came: the Hùng Kings' day, the 30/4 and 1/5 holidays, the eve and the day of the
# election of the 15th National Assembly (the plan links the campaign to it).
HOLIDAYS = {dt.date(2021, 4, 21): 0.5, dt.date(2021, 4, 30): 0.6, dt.date(2021, 5, 1): 0.5,
            dt.date(2021, 5, 22): 0.4, dt.date(2021, 5, 23): 0.1}
RAMP_DAYS = 12  # a machine's first days: from 40% of its pace to all of it
DAY_OFF = 0.03  # a machine down for the day (a breakdown, the network)
SUNDAY_OFF = 0.25  # a team resting on a Sunday


@dataclass(frozen=True)
class Account:
    """A user of the demo: its name, full name, role and unit (None: the whole campaign)."""

    username: str
    full_name: str
    role: str
    unit: str | None


@dataclass(frozen=True)
class Lend:
    """A machine lent for some weeks mid-campaign: the rows of `may` that record it (at home until the day before,
    lent, back home to the deadline), imported on the day it was decided."""

    machine: str
    team: str
    day: dt.date
    back: dt.date
    decided: dt.date
    rows: tuple[list, ...]


@dataclass
class Plan:
    """The generated workbook, sheet by sheet, the daily work of the teams, the demo's users, and the story it tells
    (for the demo's printout)."""

    sheets: dict[str, list[list]] = field(default_factory=dict)
    story: list[str] = field(default_factory=list)
    teams: dict[str, str] = field(default_factory=dict)  # team code -> district unit code
    districts: list[str] = field(default_factory=list)
    # (team code, day) -> [(machine, commune, applications)], for every day a team held a machine up to `until`;
    # an empty list is a day held with no intake (the machine down, a Sunday off).
    work: dict[tuple[str, dt.date], list[tuple[str, str, int]]] = field(default_factory=dict)
    accounts: list[Account] = field(default_factory=list)  # the six demo logins first
    clerk_team: str = ""  # the team of the demo login `to`
    lend: Lend | None = None

    def write_csv_folder(self, folder: Path, sheets: dict[str, list[list]] | None = None) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        for name, rows in (self.sheets if sheets is None else sheets).items():
            with open(folder / f"{name}.csv", "w", encoding="utf-8", newline="") as fh:
                csv.writer(fh).writerows(rows)
        return folder

    def setup_sheets(self) -> dict[str, list[list]]:
        """Return the workbook as PC06 imports it before the launch: no intake, and the machine that is lent later
        still planned at home for the whole campaign."""
        sheets = {k: v for k, v in self.sheets.items() if k != "thu_nhan"}
        if self.lend is not None:
            home, *later = self.lend.rows
            sheets["may"] = [[*home[:3], "", *home[4:]] if row is home else row
                             for row in sheets["may"] if not any(row is r for r in later)]
        return sheets


class People:
    """Officers with distinct Vietnamese names, and user names made from them (given name + initials: hungnv)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.names: set[str] = set()
        self.usernames: set[str] = {"quantri", "pc06", "hoidong", "huyen", "to", "xem"}
        self.rows = [["ma_can_bo", "ho_ten", "ma_don_vi", "cap_bac", "chuc_vu", "truc_tiep_cap_cccd"]]

    def name(self, female: bool | None = None) -> str:
        rng = self.rng
        female = rng.random() < 0.3 if female is None else female
        while True:
            family = rng.choices(list(FAMILY), weights=list(FAMILY.values()))[0]
            middle, given = (rng.choice(MIDDLE_F), rng.choice(GIVEN_F)) if female else (rng.choice(MIDDLE_M),
                                                                                       rng.choice(GIVEN_M))
            name = f"{family} {middle} {given}"
            if name not in self.names and name not in FAMOUS:
                self.names.add(name)
                return name

    def officer(self, unit: str, position: str, ranks: tuple[str, str], direct: bool) -> str:
        """Add an officer of a unit with a rank drawn between two ranks; return the full name."""
        low, high = RANKS.index(ranks[0]), RANKS.index(ranks[1])
        name = self.name()
        self.rows.append([f"CB{len(self.rows):04d}", name, unit, RANKS[self.rng.randint(low, high)], position,
                          "co" if direct else "khong"])
        return name

    def username(self, full_name: str) -> str:
        """Return a free user name for a person: the given name and the initials of the others, without marks."""
        words = _plain(full_name).split()
        base = words[-1] + "".join(w[0] for w in words[:-1])
        name, n = base, 1
        while name in self.usernames:
            n += 1
            name = f"{base}{n}"
        self.usernames.add(name)
        return name


def _plain(text: str) -> str:
    text = text.replace("Đ", "D").replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)).lower()


def _police_name(district: AdminUnit) -> str:
    return "Công an " + district.name[0].lower() + district.name[1:]


def _split(items: list, parts: int, rng: random.Random) -> list[list]:
    """Split communes into `parts` contiguous runs of nearly equal length (a district shares its area fairly)."""
    sizes = [len(items) // parts + (1 if i < len(items) % parts else 0) for i in range(parts)]
    rng.shuffle(sizes)
    bounds = [0, *itertools.accumulate(sizes)]
    return [items[a:b] for a, b in pairwise(bounds)]


def _rotation(first: dt.date, deadline: dt.date, teams: list[tuple[str, int]], offset: int,
              rng: random.Random) -> list[tuple[str, dt.date, dt.date]]:
    """Return a machine's stays from `first` to the deadline: with each team of its district in turn (a team and
    its number of communes), about a week for each of the team's communes."""
    stays, day, turn = [], first, offset
    while day <= deadline:
        team, communes = teams[turn % len(teams)]
        end = min(day + dt.timedelta(days=max(10, communes * rng.randint(5, 8)) - 1), deadline)
        if (deadline - end).days < 10:
            end = deadline  # no stay of a few days at the end
        stays.append((team, day, end))
        day, turn = end + dt.timedelta(days=1), turn + 1
    return stays


RESERVE_MACHINES = ("M-PC06-2", "M-PC06-3")  # PC06's reserve for support, from mid-campaign
RESERVE_TARGET = 450  # a daily target of 2021, as the districts' machines


def _pace_factor(day: dt.date, since_first: int, rng: random.Random) -> float:
    """Return the share of a machine's pace on a day: 0 on a day off."""
    if rng.random() < DAY_OFF or (day.weekday() == 6 and rng.random() < SUNDAY_OFF):
        return 0.0
    ramp = min(1.0, 0.4 + 0.6 * since_first / RAMP_DAYS)
    return ramp * WEEKDAY_FACTOR.get(day.weekday(), 1.0) * HOLIDAYS.get(day, 1.0) * rng.uniform(0.85, 1.15)


def build_plan(campaign: Campaign, seed: int, until: dt.date | None = None) -> Plan:
    """Return the synthetic workbook of a campaign and its teams' daily work up to `until` (default: the deadline);
    the same seed gives the same data whatever `until`."""
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
    people = People(rng)
    units = [["ma_don_vi", "ten_don_vi", "loai", "ma_don_vi_cap_tren", "dia_ban", "nhom_thi_dua"],
             ["PC06", "Phòng Cảnh sát quản lý hành chính về trật tự xã hội", "phong", "", campaign.province_code,
              nominated],
             ["PC06-DOI", "Đội Hướng dẫn, đăng ký, quản lý cư trú; cấp, quản lý CMND, CCCD", "doi", "PC06", "", ""],
             ["PC06-TO", "Tổ cấp CCCD lưu động Phòng PC06", "to", "PC06-DOI", "", ""]]
    machines = [["ma_may", "ma_to", "tu_ngay", "den_ngay", "chi_tieu", "chi_tieu_ngay"]]
    population = [["ma_xa", "so_nguoi_trong_do_tuoi"]]
    intake = [["ngay", "ma_may", "ma_xa", "so_ho_so"]]

    head = people.officer("PC06", "Trưởng phòng", ("Thượng tá", "Đại tá"), False)
    people.officer("PC06", "Phó Trưởng phòng", ("Trung tá", "Thượng tá"), False)
    people.officer("PC06-DOI", "Đội trưởng", ("Thiếu tá", "Trung tá"), False)
    follower = people.officer("PC06-DOI", "Phó Đội trưởng", ("Đại úy", "Thiếu tá"), False)
    admin = people.officer("PC06-DOI", "Cán bộ", ("Trung úy", "Đại úy"), False)
    people.officer("PC06-TO", "Tổ trưởng", ("Đại úy", "Thiếu tá"), True)
    pc06_clerk = people.officer("PC06-TO", "Tổ phó", ("Trung úy", "Thượng úy"), True)
    for _ in range(3):
        people.officer("PC06-TO", "Cán bộ", ("Thiếu úy", "Thượng úy"), True)
    others: list[Account] = [Account(people.username(pc06_clerk), pc06_clerk, Role.TEAM, "PC06-TO")]
    leads: dict[str, str] = {}
    clerks: dict[str, str] = {}

    # The story: one district falls behind, one finishes early; the others end near the deadline.
    pace = {d.code: rng.uniform(1.22, 1.34) for d in districts}
    behind, early = rng.sample([d.code for d in districts], 2)
    pace[behind], pace[early] = 0.98, 1.55
    days = (deadline - start).days + 1
    lend_day = start + dt.timedelta(days=days // 2 - 7)
    machine_no = 0
    # PC06's own team works here and there in the province: a commune of each district in turn.
    areas: dict[str, list[AdminUnit]] = {"PC06-TO": [cs[len(cs) // 2] for cs in communes_of.values()]}
    # (machine, team, first day, last day, daily target, the machine's first day, pace)
    stays: list[tuple[str, str, dt.date, dt.date, int, dt.date, float]] = []
    for d in districts:
        police = f"CA{d.code}"
        plan.districts.append(police)
        units.append([police, _police_name(d), "cong_an_huyen", "PC06", d.code, scored])
        level = (d.kind or "Huyện").lower()  # huyện, thị xã, thành phố
        people.officer(police, f"Phó Trưởng Công an {level}", ("Thiếu tá", "Thượng tá"), False)
        leads[police] = people.officer(police, f"Đội trưởng {QLHC}", ("Thiếu tá", "Trung tá"), False)
        people.officer(police, f"Phó Đội trưởng {QLHC}", ("Đại úy", "Thiếu tá"), False)
        communes = communes_of[d.id]
        served_by = _split(communes, min(rng.randint(2, 4), len(communes)), rng)
        teams = []
        for t, served in enumerate(served_by, start=1):
            team = f"{police}-T{t}"
            teams.append(team)
            plan.teams[team] = police
            areas[team] = served
            units.append([team, f"Tổ cấp CCCD lưu động số {t} – {_police_name(d)}", "to", police,
                          ";".join(c.code for c in served), ""])
            people.officer(team, "Tổ trưởng", ("Thượng úy", "Thiếu tá"), True)
            clerks[team] = people.officer(team, "Tổ phó", ("Trung úy", "Đại úy"), True)
            for _ in range(rng.randint(2, 4)):
                people.officer(team, "Cán bộ", ("Thiếu úy", "Đại úy"), True)
            for _ in range(rng.randint(0, 2)):
                people.officer(team, "Chiến sĩ", ("Hạ sĩ", "Thượng sĩ"), True)
        # One machine a district, a second one for a large district, delivered a few weeks into the campaign.
        for i in range(1 if len(communes) <= 12 else 2):
            machine_no += 1
            first = start if i == 0 else start + dt.timedelta(days=rng.randint(20, 45))
            target = rng.randrange(450, 701, 10)
            sizes = [(team, len(areas[team])) for team in teams]
            for team, a, b in _rotation(first, deadline, sizes, i + rng.randrange(len(teams)), rng):
                stays.append((f"M{machine_no:03d}", team, a, b, target, first, pace[d.code]))
    # One machine with a total quota instead of a daily target, to show both kinds.
    quota_machine = stays[0][0]
    # PC06's own machine works for the province, then is lent to the district that falls behind.
    lent_to = next(t for t, p in plan.teams.items() if p == f"CA{behind}")
    pc06_target, back = 600, lend_day + dt.timedelta(days=28)
    stays.append(("M-PC06", "PC06-TO", start, lend_day - dt.timedelta(days=1), pc06_target, start, 1.25))
    stays.append(("M-PC06", lent_to, lend_day, back - dt.timedelta(days=1), pc06_target, start, 1.25))
    stays.append(("M-PC06", "PC06-TO", back, deadline, pc06_target, start, 1.25))
    # Two machines sent to PC06 in mid-campaign and kept at the provincial office as its reserve for support ("tăng
    # cường hỗ trợ"): they serve the office's own callers at half pace until PC06 sends them where the work is left.
    # Their days are drawn from a generator of their own, so that every other number of the demo stays as it was.
    reserve_day = lend_day + dt.timedelta(days=4)
    for code in RESERVE_MACHINES:
        stays.append((code, "PC06-TO", reserve_day, deadline, RESERVE_TARGET, reserve_day, 0.5))
    reserve_rng = random.Random(seed * 31 + 7)
    by_code = {d.code: d for d in districts}
    moves = sum(1 for a, b in pairwise(stays) if a[0] == b[0]) - 2
    plan.story = [
        f"{_police_name(by_code[behind])}: chậm tiến độ, khó hoàn thành chỉ tiêu đúng hạn.",
        f"{_police_name(by_code[early])}: hoàn thành sớm.",
        f"Máy M-PC06 của Phòng PC06 được điều động cho tổ {lent_to} từ {lend_day:%d/%m/%Y} đến "
        f"{back - dt.timedelta(days=1):%d/%m/%Y}.",
        f"Máy của mỗi huyện luân chuyển giữa các tổ của huyện: {moves} lần chuyển trong đợt.",
        f"Máy {quota_machine} có chỉ tiêu tổng (chi_tieu) thay cho chỉ tiêu ngày.",
        f"Máy {' và '.join(RESERVE_MACHINES)} về Phòng PC06 từ {reserve_day:%d/%m/%Y}, làm dự phòng để tăng cường hỗ "
        "trợ nơi còn nhiều hồ sơ.",
    ]
    per_commune = defaultdict(int)
    for code, team, first, last, target, since, factor in stays:
        length = (last - first).days + 1
        row = [code, team, first.isoformat(), last.isoformat(), "", target]
        if code == quota_machine:
            row[4:] = [target * length, ""]
        machines.append(row)
        if code == "M-PC06" and team == lent_to:
            plan.lend = Lend(code, team, first, back, first - dt.timedelta(days=3), (machines[-2], row))
        if code == "M-PC06" and first == back:
            plan.lend = dataclasses.replace(plan.lend, rows=(*plan.lend.rows, row))
        served = areas[team]
        for i in range(length):
            day = first + dt.timedelta(days=i)
            draws = reserve_rng if code in RESERVE_MACHINES else rng
            count = round(target * factor * _pace_factor(day, (day - since).days, draws))
            count = max(0, min(count, config.max_per_machine_day))
            rows = plan.work.setdefault((team, day), []) if day <= until else []
            # Commune by commune: the machine moves on every few days; some days it splits between two.
            commune = served[min(i * len(served) // length, len(served) - 1)]
            nxt = served[min((i + 1) * len(served) // length, len(served) - 1)]
            parts = [(nxt, count // 3), (commune, count - count // 3)] if nxt is not commune and count > 1 \
                else [(commune, count)]
            for c, n in parts:
                if n <= 0:
                    continue
                per_commune[c.code] += n
                if day <= until:
                    intake.append([day.isoformat(), code, c.code, n])
                    rows.append((code, c.code, n))
    for district_id, cs in communes_of.items():
        # Most communes are covered with days to spare: their eligible residents (of the residence register) are fewer
        # than the applications taken there by the end, people living there but registered elsewhere applying too.
        # The district that falls behind has many more residents than its machines reach: the province's largest
        # work left, where the support planner sends PC06's reserve (docs/support-planner.md).
        low, high = (0.70, 0.76) if district_id == by_code[behind].id else (1.15, 1.22)
        for c in cs:
            reached = per_commune.get(c.code, 0)
            population.append([c.code, max(math.ceil(reached / rng.uniform(low, high)), rng.randint(3000, 5000))
                               if reached else rng.randint(4000, 9000)])
    plan.sheets = {"don_vi": units, "can_bo": people.rows, "may": machines, "dan_so": population,
                   "thu_nhan": intake}
    # The demo's clerk and district: a team holding a machine on the last day of the data, for some days still (days
    # to enter), the one that has held it longest (days to look back on).
    holding = {team: ((b - until).days >= 4, min((until - a).days, 14), -plan.districts.index(plan.teams[team]))
               for _, team, a, b, *_ in stays if team in plan.teams and a <= until <= b}
    plan.clerk_team = clerk_team = max(holding, key=holding.get)
    district = plan.teams[clerk_team]
    plan.accounts = [
        Account("quantri", admin, Role.ADMIN, "PC06"),
        Account("pc06", follower, Role.PC06, "PC06"),
        Account("hoidong", people.name(), Role.COUNCIL, None),  # the council's secretary (Sở Nội vụ), not police
        Account("huyen", leads[district], Role.DISTRICT, district),
        Account("to", clerks[clerk_team], Role.TEAM, clerk_team),
        Account("xem", head, Role.VIEWER, "PC06"),
        *others,
        *(Account(people.username(leads[p]), leads[p], Role.DISTRICT, p) for p in plan.districts if p != district),
        *(Account(people.username(clerks[t]), clerks[t], Role.TEAM, t) for t in plan.teams if t != clerk_team),
    ]
    return plan
