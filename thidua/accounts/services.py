"""Writes on accounts; each is an act of the history (users and roles are data that counts)."""

from django.contrib.auth import get_user_model
from django.db import transaction

from thidua.audit.chain import changeset_seal
from thidua.audit.services import changeset_open, record_change

from .models import CAMPAIGN_WIDE_ROLES, Profile, Role


class AccountError(ValueError):
    pass


@transaction.atomic
def user_create(*, username: str, password: str, role: str, unit=None, full_name: str = "", actor: str,
                source: str = "cli", reason: str = "") -> object:
    """Create a user with a role bound to a unit (PC06, council and admin may be bound to none: the whole campaign)."""
    if role not in Role.values:
        raise AccountError(f"Vai trò «{role}» không có.")
    if unit is None and role not in CAMPAIGN_WIDE_ROLES and role != Role.VIEWER:
        raise AccountError(f"Vai trò «{Role(role).label}» phải gắn với một đơn vị.")
    user = get_user_model().objects.create_user(username=username, password=password, first_name=full_name)
    Profile.objects.create(user=user, role=role, unit=unit)
    changeset = changeset_open(campaign=unit.campaign if unit else None, actor=actor, source=source, reason=reason)
    record_change(changeset, "user", username, None,
                  {"role": role, "unit": unit.code if unit else None, "full_name": full_name})
    changeset_seal(changeset)
    return user
