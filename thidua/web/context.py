"""What every page needs: the signed-in user's role (a superuser counts as Quản trị), the demo's simulated today."""

from thidua.accounts.scopes import AUDIT_ROLES, DOCUMENT_ROLES, IMPORT_ROLES, role_of
from thidua.campaigns import clock


def navigation(request) -> dict:
    """Return the user's role, so that menus offer only what the role may open (the views still decide)."""
    user = getattr(request, "user", None)
    role = role_of(user) if user is not None else None
    return {"my_role": role, "may_import": role in IMPORT_ROLES, "may_audit": role in AUDIT_ROLES,
            "may_documents": role in DOCUMENT_ROLES, "simulated_today": clock.simulated()}
