"""What every page's menus need: the signed-in user's role (a superuser counts as Quản trị)."""

from thidua.accounts.models import Role

from .imports import IMPORT_ROLES


def navigation(request) -> dict:
    """Return the user's role, so that menus offer only what the role may open (the views still decide)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"my_role": None, "may_import": False}
    profile = getattr(user, "profile", None)
    role = profile.role if profile is not None else (Role.ADMIN if user.is_superuser else None)
    return {"my_role": role, "may_import": role in IMPORT_ROLES}
