"""The rules an intake row obeys, wherever it comes from (a workbook, the daily report form, the API).

One place says what is wrong with a row, in the words the user sees; the importer, the forms and the API
ask it row by row. Lookups are read once per campaign (eight queries), so checking a row costs no query.

A team's machine records intake in the team's area; while PC06 has it deployed to a competitor (a support
deployment, docs/monitoring.md), also in that competitor's area, on the deployment's days only.
"""

import datetime as dt
import threading
from collections import defaultdict
from typing import NamedTuple

from django.db import connection

from thidua.lib import vn
from thidua.lib.cells import CellError, is_blank, read_code, read_count, read_date, read_text
from thidua.territory.models import AdminUnit
from thidua.units.models import Unit
from thidua.units.selectors import areas_and_support_areas

from .models import Assignment, Machine, SupportDeployment, TotalsEpoch

MACHINE_CODE_LENGTH = Machine._meta.get_field("code").max_length
COMMUNE_CODE_LENGTH = AdminUnit._meta.get_field("code").max_length

EMPTY = "ô bắt buộc đang trống"
DAYS_CACHED = 10_000


class Checked(NamedTuple):
    """A good row, with the ids it refers to and the team that held the machine that day."""

    day: dt.date
    machine_id: int
    commune_id: int
    team_id: int
    applications: int


def _text(value) -> str:
    if isinstance(value, str):
        return value.strip()
    try:
        return read_text(value)
    except CellError:
        return ""


def _not_found(raw, max_length: int, unknown) -> str:
    """Return what is wrong with a code that matched nothing: empty, not a code at all, or unknown(code)."""
    if is_blank(raw):
        return EMPTY
    try:
        return unknown(read_code(raw, max_length))
    except CellError as exc:
        return str(exc)


# Rules kept per process (IntakeRules.current): a few campaigns' at most.
_KEPT: dict[tuple, "IntakeRules"] = {}
_kept_lock = threading.Lock()
KEPT_MAX = 8


def forget_rules() -> None:
    with _kept_lock:
        _KEPT.clear()


class IntakeRules:
    """The rules of data-formats.md for one campaign's intake rows."""

    @classmethod
    def current(cls, campaign) -> "IntakeRules":
        """Return the rules of a campaign as they stand: kept per process while nothing they read has changed —
        the campaign's settings (`updated_at`) and its epoch, which the database bumps on any write of a unit, a
        unit's area, a machine, an assignment or a support deployment (intake migrations 0007–0008). A national
        campaign's rules take a second to read; a team's day is saved a thousand times an evening.

        Rules are kept only when read outside a transaction, from committed data: an epoch once committed is never
        taken back, while one bumped inside a transaction rolled back later is given again to another change.
        Inside a write's transaction the epoch read is the transaction's own: rules kept for it are those of the
        data the write sees (a transaction that changed a unit has bumped its epoch past any kept one), otherwise
        they are read for this write alone. Callers read them once before their transaction, to keep them."""
        epoch = TotalsEpoch.objects.filter(campaign=campaign.pk).values_list("epoch", flat=True).first() or 0
        key = (campaign.pk, campaign.updated_at, epoch)
        with _kept_lock:
            rules = _KEPT.get(key)
        if rules is None:
            rules = cls(campaign)
            if not connection.in_atomic_block:
                with _kept_lock:
                    if len(_KEPT) >= KEPT_MAX:
                        _KEPT.clear()
                    _KEPT[key] = rules
        return rules

    def __init__(self, campaign):
        config = campaign.config
        self.province = campaign.province_code
        self.start, self.deadline, self.limit = config.start, config.deadline, config.max_per_machine_day
        self.machines = dict(Machine.objects.filter(campaign=campaign).values_list("code", "id"))
        self.spans: dict[int, list[tuple[dt.date, dt.date, int]]] = defaultdict(list)
        for machine_id, start, end, team_id in Assignment.objects.filter(machine__campaign=campaign).values_list(
                "machine_id", "start", "end", "team_id"):
            self.spans[machine_id].append((start, end, team_id))
        self.communes = dict(AdminUnit.objects.communes_of(campaign.structure, campaign.province_code)
                             .values_list("code", "id"))
        self.team_codes = dict(Unit.objects.filter(campaign=campaign).values_list("id", "code"))
        self.areas, support = areas_and_support_areas(campaign)
        # machine -> (first day, last day, communes of the receiver) of each support deployment
        self.deployed: dict[int, list[tuple[dt.date, dt.date, frozenset[int]]]] = defaultdict(list)
        for machine_id, start, end, ended, receiver in SupportDeployment.objects.filter(campaign=campaign).values_list(
                "machine_id", "start", "end", "ended_early_on", "receiver_id"):
            self.deployed[machine_id].append((start, ended if ended is not None else end,
                                              support.get(receiver, frozenset())))
        self._days: dict = {}

    def holder(self, machine_id: int, day: dt.date) -> int | None:
        """Return the team that holds a machine on a day, if any."""
        return next((t for s, e, t in self.spans[machine_id] if s <= day <= e), None)

    def supports(self, machine_id: int, day: dt.date, commune_id: int) -> bool:
        """Say whether a machine is deployed on a day to a competitor whose area has the commune."""
        return any(first <= day <= last and commune_id in communes
                   for first, last, communes in self.deployed.get(machine_id, ()))

    def _day(self, raw) -> dt.date | str:
        """Return the date of a cell, or the message saying what is wrong (cached: a file has few dates)."""
        day = self._days.get(raw)
        if day is None:
            try:
                day = read_date(raw) if not is_blank(raw) else EMPTY
                if not self.start <= day <= self.deadline:
                    day = (f"ngày {day:%d/%m/%Y} nằm ngoài thời gian thi đua ({self.start:%d/%m/%Y} – "
                           f"{self.deadline:%d/%m/%Y})")
            except CellError as exc:
                day = str(exc)
            if len(self._days) >= DAYS_CACHED:
                self._days.clear()  # a hostile file of a million distinct dates: keep memory bounded
            self._days[raw] = day
        return day

    def check(self, raw_day, raw_machine, raw_commune, raw_count) -> tuple[Checked | None, list[tuple[str, str]]]:
        """Return the checked row, or None and every (column, message) that is wrong with it."""
        problems = []
        day = self._day(raw_day)
        if isinstance(day, str):
            problems.append(("ngay", day))
            day = None
        code = _text(raw_machine)
        machine_id = self.machines.get(code)
        if machine_id is None:
            problems.append(("ma_may", _not_found(raw_machine, MACHINE_CODE_LENGTH, "không có máy mã «{}»".format)))
        commune_code = _text(raw_commune)
        commune_id = self.communes.get(commune_code)
        if commune_id is None:
            problems.append(("ma_xa", _not_found(raw_commune, COMMUNE_CODE_LENGTH,
                                                 f"«{{}}» không phải mã xã của tỉnh {self.province}".format)))
        applications = None
        if isinstance(raw_count, str) and raw_count.isascii() and raw_count.isdigit() and len(raw_count) < 10:
            applications = int(raw_count)
        elif is_blank(raw_count):
            problems.append(("so_ho_so", EMPTY))
        else:
            try:
                applications = read_count(raw_count)
            except CellError as exc:
                problems.append(("so_ho_so", str(exc)))
        if applications is not None and applications > self.limit:
            problems.append(("so_ho_so", f"{vn.number(applications)} hồ sơ vượt mức tối đa "
                                         f"{vn.number(self.limit)} hồ sơ một máy một ngày"))
        team_id = None
        if machine_id is not None and day is not None:
            team_id = self.holder(machine_id, day)
            if team_id is None:
                problems.append(("ngay", f"máy {code} không được phân công cho tổ nào ngày {day:%d/%m/%Y}"))
            elif (commune_id is not None and commune_id not in self.areas.get(team_id, ())
                  and not self.supports(machine_id, day, commune_id)):
                problems.append(("ma_xa", f"xã {commune_code} không thuộc địa bàn của tổ {self.team_codes[team_id]}"))
        if problems:
            return None, problems
        return Checked(day, machine_id, commune_id, team_id, applications), problems
