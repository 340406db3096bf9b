"""Units (a tree: provincial department → district police → teams), their areas and their officers."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    PHONG = "phong", _("Phòng (cấp tỉnh)")
    DOI = "doi", _("Đội")
    CONG_AN_HUYEN = "cong_an_huyen", _("Công an cấp huyện")
    TO = "to", _("Tổ (tổ cấp CCCD lưu động)")


class Unit(models.Model):
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="units")
    code = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    group = models.ForeignKey("campaigns.CompetitionGroup", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="units")
    areas = models.ManyToManyField("territory.AdminUnit", blank=True, related_name="+",
                                   help_text="Districts or communes served (dia_ban); empty: the parent's area.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "code"], name="unit_code_per_campaign")]
        ordering = ["campaign", "code"]

    def __str__(self) -> str:
        return self.name


class Officer(models.Model):
    """An officer (cán bộ); which unit they belong to is dated, since officers move between teams."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="officers")
    code = models.CharField(max_length=40)
    full_name = models.CharField(max_length=120)
    rank = models.CharField(max_length=60, blank=True, help_text="Cấp bậc")
    position = models.CharField(max_length=120, blank=True, help_text="Chức vụ")
    issues_cards = models.BooleanField(null=True, help_text="Trực tiếp làm nhiệm vụ cấp CCCD")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "code"], name="officer_code_per_campaign")]
        ordering = ["campaign", "code"]

    def __str__(self) -> str:
        return self.full_name


class Membership(models.Model):
    """An officer's membership of a unit from `start` to `end` (inclusive; open-ended when null)."""

    officer = models.ForeignKey(Officer, on_delete=models.CASCADE, related_name="memberships")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="memberships")
    start = models.DateField()
    end = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["officer", "start"]
        constraints = [models.UniqueConstraint(fields=["officer", "start"], name="one_membership_start")]

    def __str__(self) -> str:
        return f"{self.officer} @ {self.unit}"
