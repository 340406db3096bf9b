"""The administrative territory: provinces, districts and communes with their official GSO codes."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Structure(models.TextChoices):
    LEGACY = "legacy", _("Trước 2025 (63 tỉnh, 3 cấp)")
    Y2025 = "2025", _("Từ 2025 (34 tỉnh, 2 cấp)")


class Level(models.TextChoices):
    PROVINCE = "province", _("Tỉnh/thành phố")
    DISTRICT = "district", _("Huyện/quận/thị xã/thành phố thuộc tỉnh")
    COMMUNE = "commune", _("Xã/phường/thị trấn")


class AdminUnitQuerySet(models.QuerySet):
    def communes_of(self, structure: str, province_code: str) -> "AdminUnitQuerySet":
        """Return the communes of one province in one structure."""
        return self.filter(structure=structure, level=Level.COMMUNE, province_code=province_code)


class AdminUnit(models.Model):
    """One administrative unit; its code is the official GSO code, unique within a structure."""

    structure = models.CharField(max_length=8, choices=Structure.choices)
    level = models.CharField(max_length=8, choices=Level.choices)
    code = models.CharField(max_length=8)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=40, blank=True, help_text="Huyện, Thị xã, Phường, Xã…")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    # Denormalised so that a province's communes are one indexed filter, whatever the depth.
    province_code = models.CharField(max_length=8)

    objects = AdminUnitQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["structure", "code"], name="adminunit_code_per_structure")]
        indexes = [models.Index(fields=["structure", "province_code", "level"])]
        ordering = ["structure", "code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"
