"""The history of every change to data that counts: who, when, from where, why, and each before/after."""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from thidua.campaigns import clock

# The longest reason of an act, for every way in (forms, API, commands, imports); changeset_open refuses longer ones.
REASON_MAX = 1000


class Source(models.TextChoices):
    CLI = "cli", _("Dòng lệnh")
    IMPORT = "import", _("Nhập tệp")
    WEB = "web", _("Trang web")
    API = "api", _("API")
    DEMO = "demo", _("Dữ liệu mô phỏng")
    SYSTEM = "system", _("Tự động")


class ChangeSet(models.Model):
    """One act of one person: an import, a form sent, a command run."""

    campaign = models.ForeignKey("campaigns.Campaign", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="changesets")
    actor = models.CharField(max_length=150)
    # The moment of the act: on a demo's simulated day, that day (campaigns/clock.py).
    at = models.DateTimeField(default=clock.now, editable=False)
    source = models.CharField(max_length=8, choices=Source.choices)
    reason = models.TextField(blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    summary = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    # The tamper-evident chain: each sealed act carries its place and the hash of the act before it.
    seq = models.PositiveBigIntegerField(null=True, blank=True, unique=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)
    # HMAC-SHA256 of (seq, hash) with the history's key, kept outside the database (keys.py): empty only for acts
    # sealed before the key existed, until `thidua audit seal-legacy`.
    mac = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%d/%m/%Y %H:%M} {self.actor} ({self.get_source_display()})"


class Change(models.Model):
    """One record changed: `before` is null for a creation, `after` null for a deletion."""

    changeset = models.ForeignKey(ChangeSet, on_delete=models.PROTECT, related_name="changes")
    entity = models.CharField(max_length=40)
    key = models.CharField(max_length=200)
    before = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        indexes = [models.Index(fields=["entity", "key"])]
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.entity} {self.key}"


class ChainHead(models.Model):
    """The end of the chain (one row): sealing an act locks it, so that acts are chained one at a time."""

    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"#{self.last_seq} {self.last_hash[:12]}"
