"""A campaign (đợt thi đua): its period, lifecycle, settings and competition groups."""

from functools import cached_property

from django.db import models
from django.utils.translation import gettext_lazy as _

from .config import CampaignConfig, config_from_json


class Status(models.TextChoices):
    DRAFT = "draft", _("Dự thảo")
    RUNNING = "running", _("Đang diễn ra")
    CLOSED = "closed", _("Đã kết thúc")
    SCORED = "scored", _("Đã chấm điểm")
    PROPOSED = "proposed", _("Đã đề nghị khen thưởng")
    DECIDED = "decided", _("Đã có quyết định")


# The lifecycle only moves forward, one step at a time.
NEXT_STATUS = {
    Status.DRAFT: Status.RUNNING,
    Status.RUNNING: Status.CLOSED,
    Status.CLOSED: Status.SCORED,
    Status.SCORED: Status.PROPOSED,
    Status.PROPOSED: Status.DECIDED,
}


class Campaign(models.Model):
    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=300)
    province_code = models.CharField(max_length=8)
    structure = models.CharField(max_length=8, default="legacy")
    start = models.DateField()
    deadline = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    settings = models.JSONField(help_text="The checked settings of the campaign file (see config.py).")
    synthetic = models.BooleanField(default=False, help_text="Holds generated demo data, labelled as such.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-start", "code"]

    def __str__(self) -> str:
        return self.name

    @cached_property
    def config(self) -> CampaignConfig:
        """Return the campaign's settings as checked values."""
        return config_from_json(self.settings)

    @property
    def accepts_data(self) -> bool:
        """Say whether operational data may still change (it is locked once the campaign closes)."""
        return self.status in {Status.DRAFT, Status.RUNNING}


class GroupKind(models.TextChoices):
    SCORED = "scored", _("Chấm điểm, xếp hạng")
    NOMINATION = "nomination", _("Xét chọn, đề nghị")


class CompetitionGroup(models.Model):
    """A competition group (nhóm thi đua); which units compete in it is data of the units."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="groups")
    code = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, choices=GroupKind.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "code"], name="group_code_per_campaign")]
        ordering = ["campaign", "id"]

    def __str__(self) -> str:
        return self.name
