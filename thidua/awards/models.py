"""What the end of a campaign records (docs/documents.md): frozen standings, rulings, appeals, nominations,
evidence files and issued documents. Nothing here is ever deleted: a snapshot or a document is superseded by a
new version, a nomination is returned or withdrawn, an appeal is decided."""

import hashlib
import json

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


def canonical_json(data) -> bytes:
    """Return the one byte form of a JSON value that is hashed: keys sorted, no spaces, UTF-8."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class Snapshot(models.Model):
    """The final standings frozen at a moment: the JSON of `thidua score --format json` to the deadline and its
    SHA-256. Version 1 is taken when the campaign is scored; an accepted appeal that changes data makes the next."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="snapshots")
    version = models.PositiveIntegerField()
    as_of = models.DateField()
    data = models.TextField(help_text="canonical_json of the standings")
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    created_by = models.CharField(max_length=150)
    reason = models.TextField()
    appeal = models.ForeignKey("Appeal", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               help_text="the accepted appeal whose correction this snapshot takes in")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "version"], name="snapshot_version")]
        ordering = ["campaign", "version"]

    def __str__(self) -> str:
        return f"{self.campaign.code} v{self.version}"

    @property
    def intact(self) -> bool:
        """Say whether the stored JSON still has the hash it was frozen with."""
        return hashlib.sha256(self.data.encode("utf-8")).hexdigest() == self.sha256

    def payload(self) -> dict:
        """Return the frozen standings; refuse a snapshot whose text no longer matches its hash."""
        if not self.intact:
            raise ValueError(f"Bản chốt kết quả số {self.version} đã bị sửa: mã SHA-256 không khớp.")
        return json.loads(self.data)


class TieRuling(models.Model):
    """The council's ruling on competitors sharing a prize rank (`needs_decision`): their order."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="tie_rulings")
    snapshot = models.ForeignKey(Snapshot, on_delete=models.PROTECT, related_name="rulings")
    group = models.CharField(max_length=40)
    prize_rank = models.PositiveIntegerField()
    order = models.JSONField(help_text="unit codes, first to last")
    ruled_by = models.CharField(max_length=150)
    ruled_at = models.DateTimeField()
    reason = models.TextField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["snapshot", "group", "prize_rank"], name="one_ruling_per_tie")]
        ordering = ["campaign", "snapshot", "group", "prize_rank"]

    def __str__(self) -> str:
        return f"{self.group} #{self.prize_rank}: {', '.join(self.order)}"


class AppealStatus(models.TextChoices):
    FILED = "filed", _("Đang chờ giải quyết")
    ACCEPTED = "accepted", _("Chấp nhận")
    REJECTED = "rejected", _("Không chấp nhận")


class AppealKind(models.TextChoices):
    DAY = "day", _("Số liệu một ngày của tổ")
    RULE = "rule", _("Cách tính điểm")


class Appeal(models.Model):
    """An appeal (khiếu nại) filed while the results are published, on a team's day or on a rule."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="appeals")
    number = models.PositiveIntegerField(help_text="1, 2, … within the campaign")
    unit = models.ForeignKey("units.Unit", on_delete=models.PROTECT, related_name="+", help_text="who files it")
    kind = models.CharField(max_length=8, choices=AppealKind.choices)
    team = models.ForeignKey("units.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    day = models.DateField(null=True, blank=True)
    machine = models.ForeignKey("intake.Machine", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    commune = models.ForeignKey("territory.AdminUnit", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    current_value = models.PositiveIntegerField(null=True, blank=True, help_text="as recorded when filed")
    expected_value = models.PositiveIntegerField(null=True, blank=True)
    rule = models.CharField(max_length=200, blank=True)
    reason = models.TextField()
    status = models.CharField(max_length=10, choices=AppealStatus.choices, default=AppealStatus.FILED)
    filed_by = models.CharField(max_length=150)
    filed_at = models.DateTimeField()
    decided_by = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    snapshot_before = models.ForeignKey(Snapshot, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    snapshot_after = models.ForeignKey(Snapshot, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "number"], name="appeal_number")]
        ordering = ["campaign", "number"]

    def __str__(self) -> str:
        return f"Khiếu nại số {self.number}"


class NominationLevel(models.TextChoices):
    DISTRICT = "district", _("Cấp huyện (theo giải)")
    PROVINCE = "province", _("Cấp tỉnh")


class NominationKind(models.TextChoices):
    INDIVIDUAL = "individual", _("Cá nhân")
    COLLECTIVE = "collective", _("Tập thể")


class NominationStatus(models.TextChoices):
    PROPOSED = "proposed", _("Đã đề nghị")
    RETURNED = "returned", _("Trả lại")
    ACCEPTED = "accepted", _("PC06 đã thẩm định")
    APPROVED = "approved", _("Hội đồng đã duyệt")
    WITHDRAWN = "withdrawn", _("Đã rút")


# A nomination in one of these takes one of its quota's places.
ACTIVE_NOMINATION = (NominationStatus.PROPOSED, NominationStatus.ACCEPTED, NominationStatus.APPROVED)


class Nomination(models.Model):
    """A proposal of an officer (or, at the provincial level, a unit) for the Bằng khen.

    `place` is the quota's place it takes (1 … quota), unique among the active nominations of the same nominating
    unit, level and kind: two people nominating at once cannot both take the last place, whatever the path
    (page, API, file). A returned or withdrawn nomination gives its place back (`place` null).
    """

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="nominations")
    level = models.CharField(max_length=10, choices=NominationLevel.choices)
    kind = models.CharField(max_length=10, choices=NominationKind.choices)
    nominating_unit = models.ForeignKey("units.Unit", on_delete=models.PROTECT, related_name="+",
                                        help_text="the prize-winning competitor; the provincial department for PC06")
    group = models.CharField(max_length=40, help_text="the competition group whose quota it counts against")
    tier = models.PositiveSmallIntegerField(null=True, blank=True,
                                            help_text="the prize tier the nominating unit held when it nominated "
                                                      "(district level): a step back that changes it returns this")
    place = models.PositiveIntegerField(null=True, blank=True)
    officer = models.ForeignKey("units.Officer", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("units.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             help_text="the collective proposed (provincial level)")
    achievements = models.TextField(help_text="thành tích")
    status = models.CharField(max_length=10, choices=NominationStatus.choices, default=NominationStatus.PROPOSED)
    proposed_by = models.CharField(max_length=150)
    proposed_at = models.DateTimeField()
    reviewed_by = models.CharField(max_length=150, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_reason = models.TextField(blank=True)
    approved_by = models.CharField(max_length=150, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["campaign", "level", "nominating_unit", "kind", "place", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "level", "nominating_unit", "kind", "place"],
                                    condition=Q(place__isnull=False), name="nomination_quota_place"),
            models.UniqueConstraint(fields=["campaign", "officer"],
                                    condition=Q(officer__isnull=False, status__in=ACTIVE_NOMINATION),
                                    name="officer_nominated_once"),
            models.UniqueConstraint(fields=["campaign", "unit"],
                                    condition=Q(unit__isnull=False, status__in=ACTIVE_NOMINATION),
                                    name="collective_nominated_once"),
            models.CheckConstraint(condition=Q(officer__isnull=False, unit__isnull=True, kind="individual")
                                   | Q(officer__isnull=True, unit__isnull=False, kind="collective"),
                                   name="nomination_names_one"),
        ]

    def __str__(self) -> str:
        return f"Đề nghị {self.pk} ({self.get_status_display()})"


class Evidence(models.Model):
    """A file of evidence (PDF or image) for a nomination or an appeal, stored outside the web root by its hash."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="+")
    nomination = models.ForeignKey(Nomination, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="evidence")
    appeal = models.ForeignKey(Appeal, null=True, blank=True, on_delete=models.PROTECT, related_name="evidence")
    name = models.CharField(max_length=200, help_text="the file's name as uploaded, cleaned")
    content_type = models.CharField(max_length=40, help_text="found from the content, not the name")
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    note = models.TextField(blank=True)
    uploaded_by = models.CharField(max_length=150)
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(nomination__isnull=False) | Q(appeal__isnull=False),
                                              name="evidence_belongs")]

    def __str__(self) -> str:
        return self.name


class DocumentKind(models.TextChoices):
    PROPOSAL = "to_trinh", _("Tờ trình đề nghị khen thưởng")
    DECISION = "quyet_dinh", _("Quyết định khen thưởng")
    REPORT = "bao_cao", _("Báo cáo tổng kết")
    TABLES = "khen_thuong_xlsx", _("Bảng tính khen thưởng (Excel)")
    CERTIFICATES = "bang_khen", _("Bằng khen (in trên phôi)")
    FRAME = "bang_khen_thu", _("Trang in thử khung Bằng khen")


class IssuedDocument(models.Model):
    """A document as issued: its number, date, file and SHA-256. A re-issue is a new version."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    version = models.PositiveIntegerField()
    number = models.CharField(max_length=60, blank=True, help_text="Số: 15/TTr-CAT-PC06 (blank until recorded)")
    date = models.DateField()
    file_name = models.CharField(max_length=120)
    path = models.CharField(max_length=300, help_text="relative to THIDUA_DATA_DIR")
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    snapshot = models.ForeignKey(Snapshot, on_delete=models.PROTECT, related_name="+")
    issued_by = models.CharField(max_length=150)
    issued_at = models.DateTimeField()
    reason = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "kind", "version"], name="document_version")]
        ordering = ["campaign", "kind", "-version"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version}"
