"""Users' roles and the unit each is bound to; a user's scope is that unit's subtree."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "quan_tri", _("Quản trị")
    PC06 = "pc06", _("PC06")
    COUNCIL = "hoi_dong", _("Hội đồng TĐKT")
    DISTRICT = "cong_an_huyen", _("Công an huyện")
    TEAM = "to", _("Tổ")
    VIEWER = "xem", _("Xem")


# Roles whose scope is the whole campaign, whatever unit they are bound to.
CAMPAIGN_WIDE_ROLES = {Role.ADMIN, Role.PC06, Role.COUNCIL}


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    role = models.CharField(max_length=16, choices=Role.choices)
    unit = models.ForeignKey("units.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="users")
    # Set while the user holds a one-time password given by an administrator: the next page is the password change.
    must_change_password = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class LoginFailure(models.Model):
    """A failed login: kept to lock out guessing (see accounts/security.py)."""

    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.username} {self.ip} {self.at:%d/%m/%Y %H:%M}"
