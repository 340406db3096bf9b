"""Setting up the demo: the reference campaign on the real territory, lived up to a simulated today.

Every act goes through the services the site itself uses — the import, the daily report (entered, sent, verified,
reopened by PC06 with a reason and sent again), the accounts — each one at the moment of the campaign it tells of
(`clock.at`), in the order of those moments: the history reads like the campaign's life and its chain verifies.
The data is synthetic and labelled so: the campaign is marked synthetic and every act's source is the demo.
"""

import datetime as dt
import random
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from thidua.accounts.models import Role
from thidua.accounts.services import user_create
from thidua.audit.models import ChangeSet, Source
from thidua.awards.services import campaign_advance
from thidua.campaigns import clock
from thidua.campaigns.config import CampaignConfig, load_config
from thidua.campaigns.models import Campaign, Status
from thidua.campaigns.services import campaign_init
from thidua.exchange.importer import workbook_import
from thidua.intake.models import DailyReport
from thidua.intake.services import report_reopen, report_save, report_submit, report_verify
from thidua.lib.vn import number
from thidua.territory.models import AdminUnit
from thidua.territory.services import territory_load
from thidua.units.models import Unit

from .stages import STAGES, carry
from .synthetic import SYNTHETIC_LABEL, Plan, build_plan

REFERENCE_CAMPAIGN = Path(__file__).resolve().parents[2] / "campaigns" / "hau-giang-2021.toml"
DEMO_PASSWORD = "ThiDua@2021"
LATE = 0.05  # a team sends its day the next morning
# PC06's reasons for reopening a day, and the team's correction: (PC06's reason, the team's reason, the change).
REOPENINGS = (
    ("Số hồ sơ của máy {machine} ngày {day} chênh lệch với hệ thống thu nhận: tổ đối chiếu và nhập lại cho khớp.",
     "Đối chiếu hệ thống thu nhận: sửa {old} thành {new}.", (-40, 40)),
    ("Tổ báo còn thiếu hồ sơ thu nhận buổi tối ngày {day}: mở lại để bổ sung.",
     "Bổ sung hồ sơ thu nhận buổi tối: {old} thành {new}.", (20, 80)),
    ("Hồ sơ của {commune} ngày {day} bị nhập trùng: tổ trừ số trùng.",
     "Trừ hồ sơ nhập trùng: {old} thành {new}.", (-30, -5)),
    ("Số hồ sơ của xã {commune} ngày {day} cao bất thường so với các ngày trước: tổ đối chiếu sổ theo dõi.",
     "Đối chiếu sổ theo dõi: nhập nhầm {old}, đúng là {new}.", (-150, -50)),
)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    full_name: str
    role: str
    unit: str


@dataclass(frozen=True)
class Demo:
    """What the demo set up: the campaign, its plan, its simulated today, the logins to print, the acts written."""

    campaign: Campaign
    plan: Plan
    today: dt.date
    logins: list[DemoLogin]
    acts: int


class DemoError(Exception):
    pass


def demo_today(config: CampaignConfig) -> dt.date:
    """Return the demo's default simulated today: the middle of the campaign."""
    return config.start + dt.timedelta(days=(config.deadline - config.start).days // 2)


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)) + dt.timedelta(minutes=minute))


def demo_setup(*, seed: int, today: dt.date | None = None, config_path: Path = REFERENCE_CAMPAIGN,
               stage: str | None = None) -> Demo:
    """Load the territory and the reference campaign; set up its units, officers, machines and users before the
    launch; then live the campaign day by day up to `today` (default: its middle), whose reports are partly sent.

    With a `stage` (scored, published, proposed, decided) the campaign is lived to its deadline and carried through
    the steps after it (demo/stages.py); today is then the day after the last step.
    """
    config = load_config(config_path)
    if stage is not None:
        if today is not None:
            raise DemoError("Chọn một trong hai: ngày hôm nay mô phỏng hoặc bước của đợt thi đua.")
        if stage not in STAGES:
            raise DemoError(f"Bước «{stage[:20]}» không có: chọn scored, published, proposed hoặc decided.")
        today = config.deadline
    today = today or demo_today(config)
    if today < config.start:
        raise DemoError(f"Ngày mô phỏng {today:%d/%m/%Y} trước ngày bắt đầu đợt thi đua {config.start:%d/%m/%Y}.")
    eve = config.start - dt.timedelta(days=4)
    with clock.at(_at(eve, 8)):
        territory_load(province=config.province, structure=config.structure, actor="demo", source=Source.DEMO)
        campaign, _ = campaign_init(config=config, actor="demo", synthetic=True)
    plan = build_plan(campaign, seed=seed, until=today)
    with clock.at(_at(eve + dt.timedelta(days=1), 9)), tempfile.TemporaryDirectory() as tmp:
        folder = plan.write_csv_folder(Path(tmp) / "du-lieu-mo-phong", plan.setup_sheets())
        report = workbook_import(campaign=campaign, path=folder, actor="pc06", source=Source.DEMO)
    if not report.ok:
        raise DemoError("Dữ liệu mô phỏng không nhập được:\n" + "\n".join(str(e) for e in report.errors[:20]))
    logins = _accounts(plan, campaign, eve + dt.timedelta(days=2))
    with clock.at(_at(config.start, 7, 30)):
        campaign = campaign_advance(campaign=campaign, to=Status.RUNNING, actor="pc06",
                                    reason=f"Phát động đợt thi đua ({SYNTHETIC_LABEL.lower()})")
    acts = _Life(campaign, plan, today, random.Random(seed)).live()
    if stage is not None:
        before = ChangeSet.objects.count()
        campaign, today = carry(campaign, stage, story=plan.story)
        acts += ChangeSet.objects.count() - before
    return Demo(campaign, plan, today, logins, acts)


def _accounts(plan: Plan, campaign: Campaign, day: dt.date) -> list[DemoLogin]:
    """Create the users of the demo, each with the demo's password; return the six demo logins."""
    units = {u.code: u for u in Unit.objects.filter(campaign=campaign)}
    for i, account in enumerate(plan.accounts):
        with clock.at(_at(day, 8, 2 * i)):
            user_create(username=account.username, password=None, role=account.role, full_name=account.full_name,
                        unit=units[account.unit] if account.unit else None, source=Source.DEMO,
                        actor="demo" if account.username == "quantri" else "quantri")
    # One hash for all (a password hash takes a third of a second on purpose); the history never holds a password.
    get_user_model().objects.filter(username__in=[a.username for a in plan.accounts]).update(
        password=make_password(DEMO_PASSWORD))
    return [DemoLogin(a.username, a.full_name, str(Role(a.role).label), units[a.unit].name if a.unit
                      else "toàn đợt thi đua") for a in plan.accounts[:6]]


class _Life:
    """The campaign's days up to today, as acts at their moments: each team's day entered and sent in the evening
    (a few the next morning, late), verified by its district the next morning; some days reopened by PC06 with a
    reason, corrected and sent again; today's reports partly sent, the demo clerk's not yet."""

    def __init__(self, campaign: Campaign, plan: Plan, today: dt.date, rng: random.Random):
        self.campaign, self.plan, self.today, self.rng = campaign, plan, today, rng
        self.units = {u.code: u for u in Unit.objects.filter(campaign=campaign)}
        self.communes = dict(AdminUnit.objects.communes_of(campaign.structure, campaign.province_code)
                             .values_list("code", "name"))
        self.clerk = {a.unit: a.username for a in plan.accounts if a.role == Role.TEAM}
        district = {a.unit: a.username for a in plan.accounts if a.role == Role.DISTRICT}
        self.verifier = {team: district.get(plan.teams.get(team), "pc06") for team in self.clerk}
        self.acts: list[tuple[dt.datetime, int, Callable[[], object]]] = []
        self.verified: dict[tuple[str, dt.date], dt.datetime] = {}

    def add(self, moment: dt.datetime, act: Callable[[], object]) -> None:
        self.acts.append((moment, len(self.acts), act))

    def minutes(self, day: dt.date, hour: int, span: int) -> dt.datetime:
        return _at(day, hour, self.rng.randint(0, span))

    def live(self) -> int:
        """Write the campaign's acts in the order of their moments; return how many."""
        for (team, day), rows in sorted(self.plan.work.items(), key=lambda item: (item[0][1], item[0][0])):
            if day == self.today:
                self.today_of(team, rows)
            else:
                self.day_of(team, day, rows)
        self.reopenings()
        self.lend()
        for moment, _, act in sorted(self.acts, key=lambda a: (a[0], a[1])):
            with clock.at(moment):
                act()
        return len(self.acts)

    def day_of(self, team: str, day: dt.date, rows: list) -> None:
        next_day = day + dt.timedelta(days=1)
        late = self.rng.random() < LATE
        sent = self.minutes(next_day, 7, 150) if late else self.minutes(day, 17, 240)
        if rows:
            self.add(sent - dt.timedelta(minutes=self.rng.randint(3, 25)), self.save(team, day, rows))
        self.add(sent, self.submit(team, day))
        verified = self.minutes(next_day, 13, 180) if late else self.minutes(next_day, 7, 180)
        # This morning the demo's district has not verified yesterday's days yet; about half of the others have.
        if verified.date() < self.today or (verified.date() == self.today and self.verifier[team] != "huyen"
                                            and self.rng.random() < 0.5):
            self.add(verified, self.verify(team, day))
            self.verified[team, day] = verified

    def today_of(self, team: str, rows: list) -> None:
        if team == self.plan.clerk_team:
            return  # the demo clerk's work of the evening
        chance = self.rng.random()
        if chance < 0.5:
            sent = self.minutes(self.today, 15, 120)
            if rows:
                self.add(sent - dt.timedelta(minutes=10), self.save(team, self.today, rows))
            self.add(sent, self.submit(team, self.today))
        elif chance < 0.7 and rows:
            self.add(self.minutes(self.today, 11, 240), self.save(team, self.today, rows))

    def reopenings(self) -> None:
        """Reopen some verified days: most corrected, sent again and verified again since; two still waiting for
        their team, one of them the demo clerk's."""
        work, rng, today = self.plan.work, self.rng, self.today
        done = [key for key in sorted(self.verified, key=lambda k: (k[1], k[0]))
                if work[key] and key[1] <= today - dt.timedelta(days=3)]
        if not done:
            return
        mine = [k for k in done if k[0] == self.plan.clerk_team and k[1] >= today - dt.timedelta(days=8)]
        waiting = [mine[-1]] if mine else []
        others = [k for k in done if k[0] != self.plan.clerk_team and k[1] >= today - dt.timedelta(days=10)]
        waiting += [rng.choice(others)] if others else []
        for key in waiting:
            reopened = max(self.verified[key] + dt.timedelta(hours=2), self.minutes(today - dt.timedelta(days=1),
                                                                                      14, 120))
            self.add(reopened, self.reopen(*key, self.reason(key)[0]))
        rest = [k for k in done if k not in waiting]
        for key in sorted(rng.sample(rest, min(len(rest), max(2, len(rest) // 100)))):
            reopened = self.minutes(self.verified[key].date() + dt.timedelta(days=rng.randint(1, 4)), 9, 360)
            if reopened.date() >= today:
                continue
            reason, correction = self.reason(key)
            self.add(reopened, self.reopen(*key, reason))
            sent = reopened + dt.timedelta(minutes=rng.randint(45, 240))
            self.add(sent - dt.timedelta(minutes=5), self.save(*key, [correction[0]], correction[1]))
            self.add(sent, self.submit(*key))
            again = self.minutes(sent.date() + dt.timedelta(days=1), 8, 120)
            if again.date() < today:
                self.add(again, self.verify(*key))

    def reason(self, key: tuple[str, dt.date]) -> tuple[str, tuple[tuple[str, str, int], str]]:
        """Return PC06's reason to reopen a team's day, and the team's corrected row with its reason."""
        machine, commune, old = self.rng.choice(self.plan.work[key])
        asked, answer, (low, high) = self.rng.choice(REOPENINGS)
        new = max(0, old + self.rng.choice([d for d in range(low, high + 1) if d]))
        name = self.communes[commune]
        names = {"machine": machine, "commune": name[0].lower() + name[1:], "day": f"{key[1]:%d/%m/%Y}"}
        return (asked.format(**names), ((machine, commune, new), answer.format(old=number(old), new=number(new))))

    def lend(self) -> None:
        """PC06 lends its machine to the district that falls behind: the rows of `may` imported when decided."""
        lend = self.plan.lend
        if lend is None or lend.decided >= self.today:
            return
        district = self.units[self.plan.teams[lend.team]].name
        last = lend.back - dt.timedelta(days=1)
        reason = (f"Điều động máy {lend.machine} hỗ trợ {district} (chậm tiến độ) từ ngày {lend.day:%d/%m/%Y} đến "
                  f"ngày {last:%d/%m/%Y}.")

        def act():
            with tempfile.TemporaryDirectory() as tmp:
                header = self.plan.sheets["may"][0]
                folder = self.plan.write_csv_folder(Path(tmp) / "dieu-dong-may", {"may": [header, *lend.rows]})
                report = workbook_import(campaign=self.campaign, path=folder, actor="pc06", replace=True,
                                         reason=reason, source=Source.DEMO)
            if not report.ok:
                raise DemoError("Không ghi được việc điều động máy: " + "; ".join(str(e) for e in report.errors))

        self.add(self.minutes(lend.decided, 10, 60), act)

    # The acts, written when their moment comes.

    def save(self, team: str, day: dt.date, rows: list, reason: str = "") -> Callable[[], object]:
        return lambda: report_save(campaign=self.campaign, team=self.units[team], day=day, rows=rows,
                                   actor=self.clerk[team], reason=reason, source=Source.DEMO)

    def submit(self, team: str, day: dt.date) -> Callable[[], object]:
        return lambda: report_submit(campaign=self.campaign, team=self.units[team], day=day, actor=self.clerk[team],
                                     source=Source.DEMO)

    def verify(self, team: str, day: dt.date) -> Callable[[], object]:
        return lambda: report_verify(report=self._report(team, day), actor=self.verifier[team], source=Source.DEMO)

    def reopen(self, team: str, day: dt.date, reason: str) -> Callable[[], object]:
        return lambda: report_reopen(report=self._report(team, day), actor="pc06", reason=reason,
                                     source=Source.DEMO)

    def _report(self, team: str, day: dt.date) -> DailyReport:
        return DailyReport.objects.select_related("team", "campaign").get(campaign=self.campaign,
                                                                          team=self.units[team], day=day)
