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
    PUBLISHED = "published", _("Đã công bố kết quả")
    PROPOSED = "proposed", _("Đã đề nghị khen thưởng")
    DECIDED = "decided", _("Đã có quyết định")
    ARCHIVED = "archived", _("Đã lưu trữ")


# The way forward, one step at a time (the steps back and who takes each step: thidua.awards.lifecycle).
NEXT_STATUS = {
    Status.DRAFT: Status.RUNNING,
    Status.RUNNING: Status.CLOSED,
    Status.CLOSED: Status.SCORED,
    Status.SCORED: Status.PUBLISHED,
    Status.PUBLISHED: Status.PROPOSED,
    Status.PROPOSED: Status.DECIDED,
    Status.DECIDED: Status.ARCHIVED,
}


class ResultState(models.TextChoices):
    """How final the standings are (documents.md): provisional until scored, preliminary until proposed."""

    PROVISIONAL = "tam_tinh", _("Tạm tính")
    PRELIMINARY = "so_bo", _("Sơ bộ")
    OFFICIAL = "chinh_thuc", _("Chính thức")


RESULT_STATE = {
    Status.DRAFT: ResultState.PROVISIONAL,
    Status.RUNNING: ResultState.PROVISIONAL,
    Status.CLOSED: ResultState.PROVISIONAL,
    Status.SCORED: ResultState.PRELIMINARY,
    Status.PUBLISHED: ResultState.PRELIMINARY,
    Status.PROPOSED: ResultState.OFFICIAL,
    Status.DECIDED: ResultState.OFFICIAL,
    Status.ARCHIVED: ResultState.OFFICIAL,
}

# The next step of the lifecycle from each status: what it does and who takes it.
NEXT_STEP = {
    Status.DRAFT: (_("Bắt đầu đợt thi đua: nhận số liệu thu nhận"), _("Quản trị, PC06")),
    Status.RUNNING: (_("Kết thúc đợt thi đua: khóa số liệu"), _("PC06, Quản trị")),
    Status.CLOSED: (_("Chấm điểm: chốt kết quả sơ bộ (Hội đồng TĐKT duyệt thang điểm trước)"), _("PC06")),
    Status.SCORED: (_("Công bố kết quả: mở thời hạn khiếu nại"), _("PC06")),
    Status.PUBLISHED: (_("Đề nghị khen thưởng: giải quyết khiếu nại, Hội đồng phân xử đồng hạng và duyệt đề nghị, "
                         "ghi số Tờ trình"), _("PC06")),
    Status.PROPOSED: (_("Ghi quyết định khen thưởng"), _("Hội đồng TĐKT, Quản trị")),
    Status.DECIDED: (_("Lưu trữ: không thay đổi gì nữa"), _("Quản trị")),
}


class Campaign(models.Model):
    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=300)
    province_code = models.CharField(max_length=8)
    structure = models.CharField(max_length=8, default="legacy")
    start = models.DateField()
    deadline = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    workflow = models.JSONField(default=dict, blank=True, help_text=(
        "What the lifecycle's steps recorded (thidua.awards.lifecycle): the council's approval of the scale, "
        "the day the results were published, the Tờ trình's and the decision's number, date and signer."))
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
    def result_state(self) -> str:
        """Return how final its standings to the deadline are (tạm tính, sơ bộ, chính thức)."""
        return RESULT_STATE[self.status]

    @property
    def next_step(self) -> tuple[str, str] | None:
        """Return the next step of its lifecycle and who takes it, or None at the end."""
        return NEXT_STEP.get(self.status)

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
