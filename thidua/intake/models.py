"""Operations data that the standings count: machines, their assignments, eligible population, daily intake.

Counts only: no personal data of any citizen is stored anywhere.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Machine(models.Model):
    """A capture machine (máy thu nhận), identified by its code within a campaign."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="machines")
    code = models.CharField(max_length=40)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "code"], name="machine_code_per_campaign")]
        ordering = ["campaign", "code"]

    def __str__(self) -> str:
        return self.code


class Assignment(models.Model):
    """A machine given to a team from `start` to `end` (inclusive) with a total quota or a daily target."""

    machine = models.ForeignKey(Machine, on_delete=models.CASCADE, related_name="assignments")
    team = models.ForeignKey("units.Unit", on_delete=models.PROTECT, related_name="assignments")
    start = models.DateField()
    end = models.DateField()
    quota = models.PositiveIntegerField(null=True, blank=True, help_text="chi_tieu: total for the assignment")
    daily_target = models.PositiveIntegerField(null=True, blank=True, help_text="chi_tieu_ngay")

    class Meta:
        ordering = ["machine", "start"]
        constraints = [
            models.UniqueConstraint(fields=["machine", "start"], name="assignment_machine_start"),
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="assignment_end_after_start"),
            models.CheckConstraint(
                condition=(Q(quota__isnull=False) & Q(daily_target__isnull=True))
                | (Q(quota__isnull=True) & Q(daily_target__isnull=False)),
                name="assignment_quota_xor_daily_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.machine} → {self.team} {self.start:%d/%m/%Y}–{self.end:%d/%m/%Y}"


class EligiblePopulation(models.Model):
    """Residents of a commune in the age to get a card (số người trong độ tuổi)."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="populations")
    commune = models.ForeignKey("territory.AdminUnit", on_delete=models.PROTECT, related_name="+")
    people = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "commune"], name="population_per_commune")]

    def __str__(self) -> str:
        return f"{self.commune_id}: {self.people}"


class IntakeRecord(models.Model):
    """Applications received by one machine in one commune on one day (thu_nhan)."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="intake")
    day = models.DateField()
    machine = models.ForeignKey(Machine, on_delete=models.PROTECT, related_name="intake")
    commune = models.ForeignKey("territory.AdminUnit", on_delete=models.PROTECT, related_name="+")
    # The team that held the machine that day, kept with the record so that totals are one GROUP BY.
    team = models.ForeignKey("units.Unit", on_delete=models.PROTECT, related_name="intake")
    applications = models.PositiveIntegerField(help_text="so_ho_so")
    changeset = models.ForeignKey("audit.ChangeSet", on_delete=models.PROTECT, related_name="+",
                                  help_text="The act that last set this record.")
    # Imports record a created count by this link rather than by a Change row each (a million rows stay fast);
    # the record's history starts from it. Null only for records written before the link existed.
    created_in = models.ForeignKey("audit.ChangeSet", null=True, on_delete=models.PROTECT, related_name="+",
                                   help_text="The act that created this record.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["machine", "day", "commune"], name="intake_key")]
        # Covering the standings' GROUP BY (team, day): the totals are read from the index alone.
        # Covering the communes' sums of the forecast and the coverage (GROUP BY commune): likewise.
        indexes = [models.Index(fields=["campaign", "team", "day", "applications"], name="intake_team_day_totals"),
                   models.Index(fields=["campaign", "commune", "day", "applications"],
                                name="intake_commune_day_totals")]

    def __str__(self) -> str:
        return f"{self.day:%d/%m/%Y} {self.machine} {self.commune.code}: {self.applications}"


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Đang nhập")
    SUBMITTED = "submitted", _("Đã gửi, chờ xác nhận")
    VERIFIED = "verified", _("Đã xác nhận (khóa)")


class DailyReport(models.Model):
    """A team's report of one day: entered, submitted by the team, verified (and so locked) by its district."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="reports")
    team = models.ForeignKey("units.Unit", on_delete=models.PROTECT, related_name="reports")
    day = models.DateField()
    status = models.CharField(max_length=10, choices=ReportStatus.choices, default=ReportStatus.DRAFT)
    late = models.BooleanField(default=False, help_text="Submitted after the day it reports.")
    submitted_by = models.CharField(max_length=150, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.CharField(max_length=150, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "day"], name="one_report_per_team_day")]
        indexes = [models.Index(fields=["campaign", "day", "status"])]

    def __str__(self) -> str:
        return f"{self.team} {self.day:%d/%m/%Y} ({self.get_status_display()})"


class SupportDeployment(models.Model):
    """A support machine sent by PC06 to a competitor (docs/monitoring.md, «Support planner»): from `start` to `end`
    (inclusive) its team may record intake in the receiver's communes. The machine stays its team's: its intake
    counts for its team, never for the receiver. Ended early, its last day of support is `ended_early_on`."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="deployments")
    machine = models.ForeignKey(Machine, on_delete=models.PROTECT, related_name="deployments")
    receiver = models.ForeignKey("units.Unit", on_delete=models.PROTECT, related_name="support_received")
    start = models.DateField()
    end = models.DateField()
    ended_early_on = models.DateField(null=True, blank=True, help_text="Last day of support when ended early.")
    reason = models.TextField()
    end_reason = models.TextField(blank=True)
    created_in = models.ForeignKey("audit.ChangeSet", on_delete=models.PROTECT, related_name="+",
                                   help_text="The act that recorded the deployment.")

    class Meta:
        ordering = ["campaign", "machine", "start"]
        constraints = [
            # Applying the same plan twice (two clicks, two PC06 officers at once) cannot send a machine twice.
            models.UniqueConstraint(fields=["machine", "start"], name="deployment_machine_start"),
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="deployment_end_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.machine} → {self.receiver} {self.start:%d/%m/%Y}–{self.end:%d/%m/%Y}"

    @property
    def last_day(self):
        """Return the last day of support: the day it was ended early on, else its end."""
        return self.ended_early_on if self.ended_early_on is not None else self.end


class DayTotal(models.Model):
    """The applications of one day of a campaign summed over its intake records, kept by the database itself.

    Written by triggers on the intake table only (migrations 0007 and 0009), in the transaction of the write, whatever
    wrote it (an import, a report, the API, an appeal). `changed_in` is the act that last changed the total, so that a
    process keeping the standings or the forecast reads only the totals changed since the act it knows
    (thidua/standings/selectors.py, thidua/monitoring/forecasts.py); `thidua audit verify` compares every total with
    its records.
    """

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    applications = models.PositiveBigIntegerField()
    records = models.PositiveIntegerField()
    changed_in = models.ForeignKey("audit.ChangeSet", on_delete=models.DO_NOTHING, db_constraint=False,
                                   related_name="+")

    class Meta:
        abstract = True


class TeamDayTotal(DayTotal):
    """A team's day: the standings and the forecasts read these ~150,000 rows of a national campaign instead of its
    million records (migration 0007)."""

    team = models.ForeignKey("units.Unit", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "team", "day"], name="team_day_total_key")]
        indexes = [models.Index(fields=["changed_in"], name="team_day_total_changed_in")]

    def __str__(self) -> str:
        return f"{self.team_id} {self.day:%d/%m/%Y}: {self.applications}"


class CommuneDayTotal(DayTotal):
    """A commune's day: the communes' forecast reads these rows — a province's communes have a hundred thousand
    records each at a national volume — and, after an act, only the communes whose totals it changed (migration
    0009). A record moved to another commune bumps the campaign's epoch."""

    commune = models.ForeignKey("territory.AdminUnit", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "commune", "day"], name="commune_day_total_key")]
        # Covering the communes' sums (GROUP BY commune, every day's condition inside the sums).
        indexes = [models.Index(fields=["campaign", "commune", "day", "applications"], name="commune_day_total_sums"),
                   models.Index(fields=["changed_in"], name="commune_day_total_changed_in")]

    def __str__(self) -> str:
        return f"{self.commune_id} {self.day:%d/%m/%Y}: {self.applications}"


class TotalsEpoch(models.Model):
    """A campaign's count of changes to what the standings read that no team-day total's act tells: a unit, a
    machine or an assignment written, an intake record deleted or moved to another team or day, a record rewritten
    without a new act. Bumped by triggers (migration 0007); a process keeping standings computes them again in full
    when it moves."""

    # No foreign key in the database: the triggers bump it while a campaign's records are being deleted with it.
    campaign = models.OneToOneField("campaigns.Campaign", on_delete=models.CASCADE, primary_key=True,
                                    db_constraint=False, related_name="+")
    epoch = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.epoch}"
