"""Setting up the demo: the reference campaign on the real territory with labelled synthetic data."""

import datetime as dt
import random
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from thidua.accounts.models import Role
from thidua.accounts.services import user_create
from thidua.audit.chain import changeset_seal
from thidua.audit.models import Source
from thidua.audit.services import changeset_open, record_changes
from thidua.campaigns.config import load_config
from thidua.campaigns.models import Status
from thidua.campaigns.services import campaign_advance, campaign_init
from thidua.exchange.importer import workbook_import
from thidua.intake.integrity import report_state
from thidua.intake.models import DailyReport, IntakeRecord, ReportStatus
from thidua.territory.services import territory_load
from thidua.units.models import Unit

from .synthetic import SYNTHETIC_LABEL, build_plan

REFERENCE_CAMPAIGN = Path(__file__).resolve().parents[2] / "campaigns" / "hau-giang-2021.toml"
DEMO_PASSWORD = "ThiDua@2021"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    unit: str


class DemoError(Exception):
    pass


def demo_setup(*, seed: int, until: dt.date | None = None, config_path: Path = REFERENCE_CAMPAIGN):
    """Load the territory and the reference campaign, import synthetic data, create a user per role."""
    config = load_config(config_path)
    territory_load(province=config.province, structure=config.structure, actor="demo", source=Source.DEMO)
    campaign, _ = campaign_init(config=config, actor="demo")
    plan = build_plan(campaign, seed=seed, until=until)
    with tempfile.TemporaryDirectory() as tmp:
        folder = plan.write_csv_folder(Path(tmp) / "du-lieu-mo-phong")
        report = workbook_import(campaign=campaign, path=folder, actor="demo", source=Source.DEMO)
    if not report.ok:
        raise DemoError("Dữ liệu mô phỏng không nhập được:\n" + "\n".join(str(e) for e in report.errors[:20]))
    with transaction.atomic():
        campaign.synthetic = True
        campaign.save(update_fields=["synthetic"])
        campaign = campaign_advance(campaign=campaign, to=Status.RUNNING, actor="demo", reason=SYNTHETIC_LABEL)
        _reports(campaign, seed)
        units = {u.code: u for u in Unit.objects.filter(campaign=campaign)}
        district = plan.districts[0]
        team = next(t for t, d in plan.teams.items() if d == district)
        wanted = [("quantri", Role.ADMIN, "PC06"), ("pc06", Role.PC06, "PC06"), ("hoidong", Role.COUNCIL, None),
                  ("huyen", Role.DISTRICT, district), ("to", Role.TEAM, team), ("xem", Role.VIEWER, "PC06")]
        logins = []
        for username, role, unit in wanted:
            user_create(username=username, password=DEMO_PASSWORD, role=role, actor="demo", source="demo",
                        unit=units[unit] if unit else None)
            logins.append(DemoLogin(username, str(Role(role).label), units[unit].name if unit else "toàn đợt thi đua"))
    return campaign, plan, report, logins


def _reports(campaign, seed: int) -> None:
    """Give every team-day of the synthetic intake its daily report: verified, some sent late; the last day of
    the data is left as the teams would leave it in the evening (some sent, some not yet)."""
    rng = random.Random(seed)
    days = sorted(set(IntakeRecord.objects.filter(campaign=campaign).values_list("team_id", "day")))
    if not days:
        return
    last = max(day for _, day in days)
    reports = []
    for team_id, day in days:
        if day == last and rng.random() < 0.4:
            continue  # not sent yet
        sent = dt.datetime.combine(day + dt.timedelta(days=1 if rng.random() < 0.06 else 0), dt.time(19, 30),
                                   tzinfo=timezone.get_current_timezone())
        status = ReportStatus.SUBMITTED if day == last else ReportStatus.VERIFIED
        reports.append(DailyReport(campaign=campaign, team_id=team_id, day=day, status=status,
                                   late=sent.date() > day, submitted_by="demo", submitted_at=sent,
                                   verified_by="demo" if status == ReportStatus.VERIFIED else "",
                                   verified_at=sent + dt.timedelta(hours=14) if status == ReportStatus.VERIFIED
                                   else None))
    DailyReport.objects.bulk_create(reports, batch_size=1000)
    # Recorded like the steps of the pages, so that the history reproduces every report (intake/integrity.py).
    codes = dict(Unit.objects.filter(campaign=campaign).values_list("id", "code"))
    changeset = changeset_open(campaign=campaign, actor="demo", source=Source.DEMO, reason=SYNTHETIC_LABEL)
    record_changes(changeset, [("bao_cao", f"{codes[r.team_id]}|{r.day.isoformat()}", None, report_state(r))
                               for r in reports])
    changeset_seal(changeset)
