"""API tokens: a user's keys for the REST API. Only the SHA-256 of a secret is stored; the secret is shown once."""

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    """One key of one user; `prefix` is the visible part that names it in lists and in the history."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 (hex) of the whole secret.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["user", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.prefix} {self.name} ({self.user})"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class IdempotentRequest(models.Model):
    """A write sent with an `Idempotency-Key` header, remembered for a week with what it answered: the same key sent
    again by the same user (a retry after a timeout, a client sending twice) answers the same without writing again.
    Written in the transaction of the write itself: a write refused or interrupted leaves no key behind."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    request_sha256 = models.CharField(max_length=64, help_text="SHA-256 of the method, path and body.")
    response = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotent_request_key")]
        indexes = [models.Index(fields=["created_at"], name="idempotent_request_age")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.key}"
