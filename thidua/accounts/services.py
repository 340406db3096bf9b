"""Writes on accounts."""

from django.contrib.auth import get_user_model
from django.db import transaction

from .models import Profile, Role


@transaction.atomic
def user_create(*, username: str, password: str, role: str, unit=None, full_name: str = "") -> object:
    """Create a user with a role bound to a unit (or the whole campaign for PC06, council and admin)."""
    if role not in Role.values:
        raise ValueError(f"Vai trò «{role}» không có.")
    user = get_user_model().objects.create_user(username=username, password=password)
    if full_name:
        user.first_name = full_name
        user.save(update_fields=["first_name"])
    Profile.objects.create(user=user, role=role, unit=unit)
    return user
