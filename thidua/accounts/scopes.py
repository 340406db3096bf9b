"""What a user may see and change: their unit's subtree (the whole campaign for PC06, the council and admins).

Every page and endpoint asks here; nothing else decides who sees what.
"""

from dataclasses import dataclass

from thidua.units.selectors import subtree_ids

from .models import CAMPAIGN_WIDE_ROLES, Role

# Roles that only read, whatever their scope.
READ_ONLY_ROLES = {Role.COUNCIL, Role.VIEWER}


@dataclass(frozen=True)
class Scope:
    role: str
    unit_ids: frozenset[int] | None  # None: every unit of the campaign

    def sees(self, unit_id: int) -> bool:
        return self.unit_ids is None or unit_id in self.unit_ids

    @property
    def whole_campaign(self) -> bool:
        return self.unit_ids is None

    @property
    def writes(self) -> bool:
        return self.role not in READ_ONLY_ROLES


def scope_of(user, campaign) -> Scope | None:
    """Return the user's scope in a campaign, or None when the campaign is not theirs at all."""
    if not user.is_authenticated:
        return None
    profile = getattr(user, "profile", None)
    if profile is None:
        return Scope(Role.ADMIN, None) if user.is_superuser else None
    if profile.unit_id is None:
        # Bound to no unit: only campaign-wide roles and province-wide viewers are created so.
        return Scope(profile.role, None)
    if profile.unit.campaign_id != campaign.id:
        return None
    if profile.role in CAMPAIGN_WIDE_ROLES:
        return Scope(profile.role, None)
    return Scope(profile.role, frozenset(subtree_ids(campaign, profile.unit_id)))


def role_of(user) -> str | None:
    """Return a signed-in user's role (a superuser without a profile counts as Quản trị), or None."""
    if not user.is_authenticated:
        return None
    profile = getattr(user, "profile", None)
    if profile is not None:
        return profile.role
    return Role.ADMIN if user.is_superuser else None


def campaigns_of(user) -> frozenset[int] | None:
    """Return the campaigns a user is bound to through their unit, or None for a user bound to no unit."""
    profile = getattr(user, "profile", None)
    if profile is None or profile.unit_id is None:
        return None
    return frozenset({profile.unit.campaign_id})
