"""What a user may see and change: their unit's subtree (the whole campaign for PC06, the council and admins);
which users a Quản trị manages.

Every page and endpoint asks here; nothing else decides who sees what.
"""

from dataclasses import dataclass

from thidua.campaigns.models import Campaign
from thidua.units.models import Unit
from thidua.units.selectors import subtree_ids

from .models import CAMPAIGN_WIDE_ROLES, Role

# Roles that only read, whatever their scope.
READ_ONLY_ROLES = {Role.COUNCIL, Role.VIEWER}
# What each role may do, wherever its scope allows (pages and API ask here).
ENTER_ROLES = {Role.ADMIN, Role.PC06, Role.DISTRICT, Role.TEAM}  # enter and submit a team's day
VERIFY_ROLES = {Role.ADMIN, Role.PC06, Role.DISTRICT}  # verify a submitted day (which locks it)
REOPEN_ROLES = {Role.ADMIN, Role.PC06}  # reopen a verified day, with a reason
IMPORT_ROLES = {Role.ADMIN, Role.PC06, Role.DISTRICT, Role.TEAM}  # import files (districts, teams: their intake)
AUDIT_ROLES = {Role.ADMIN, Role.PC06, Role.COUNCIL}  # read the audit log
DOCUMENT_ROLES = frozenset({Role.ADMIN, Role.PC06, Role.COUNCIL})  # make, issue, download the documents
VERIFY_CHAIN_ROLES = {Role.ADMIN, Role.PC06}  # check the log's chain from the site


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


def opens_campaign(user, campaign) -> bool:
    """Say whether `scope_of(user, campaign)` is not None, without reading the scope's units: for an answer that
    needs no more than the right to open the campaign (the board's poll while nothing changed)."""
    if not user.is_authenticated:
        return False
    profile = getattr(user, "profile", None)
    if profile is None:
        return user.is_superuser
    return profile.unit_id is None or profile.unit.campaign_id == campaign.id


def campaigns_visible(user):
    """Return the campaigns a user may open: that of their unit, or every one for a user bound to no unit (a
    superuser without a profile too); none for anyone else."""
    profile = getattr(user, "profile", None)
    if profile is not None and profile.unit_id is not None:
        return Campaign.objects.filter(pk=profile.unit.campaign_id)
    if profile is None and not user.is_superuser:
        return Campaign.objects.none()
    return Campaign.objects.all()


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


# --- managing users (the Quản trị role) -------------------------------------------------------------------------

SELF_DEACTIVATE = "Không thể tự khóa tài khoản của mình."
SELF_DEMOTE = "Không thể tự bỏ vai trò Quản trị của mình."
OTHER_CAMPAIGN_UNIT = "Đơn vị không thuộc đợt thi đua của bạn."
MUST_BIND = ("Quản trị của một đơn vị chỉ gắn người dùng với đơn vị trong đợt thi đua của mình "
             "(không để trống đơn vị).")


@dataclass(frozen=True)
class UserAdmin:
    """The users a Quản trị manages: everyone but superusers when they are bound to no unit themselves; only the
    users bound to units of their unit's campaign when they are bound to one. A user bound to no unit (a global
    administrator, PC06, council or viewer) reaches every campaign, so only a superuser or an administrator bound
    to no unit manages them. Only a superuser manages superusers."""

    campaign_id: int | None  # None: every campaign
    superuser: bool

    def manages(self, user) -> bool:
        if user.is_superuser and not self.superuser:
            return False
        if self.campaign_id is None:
            return True
        profile = getattr(user, "profile", None)
        unit = profile.unit if profile is not None else None
        return unit is not None and unit.campaign_id == self.campaign_id

    def users(self, queryset):
        """Return the users of a queryset this administrator manages (the same rule as `manages`, in SQL)."""
        if not self.superuser:
            queryset = queryset.exclude(is_superuser=True)
        if self.campaign_id is None:
            return queryset
        return queryset.filter(profile__unit__campaign_id=self.campaign_id)

    @property
    def manages_unbound(self) -> bool:
        """Say whether this administrator manages users bound to no unit."""
        return self.campaign_id is None

    def units(self):
        """Return the units this administrator may bind users to."""
        units = Unit.objects.select_related("campaign").order_by("campaign__code", "code")
        return units if self.campaign_id is None else units.filter(campaign_id=self.campaign_id)

    def binding_error(self, unit) -> str | None:
        """Return why this administrator may not bind a user to this unit (None: no unit), or None when they may.

        An administrator bound to a unit cannot widen anyone's reach beyond their campaign: every user they create
        or change is bound to a unit of that campaign.
        """
        if self.campaign_id is None:
            return None
        if unit is None:
            return MUST_BIND
        return None if unit.campaign_id == self.campaign_id else OTHER_CAMPAIGN_UNIT


def user_admin_of(user) -> UserAdmin | None:
    """Return what the user may manage as Quản trị (superusers included), or None when they manage no one."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return UserAdmin(None, True)
    profile = getattr(user, "profile", None)
    if profile is None or profile.role != Role.ADMIN:
        return None
    return UserAdmin(profile.unit.campaign_id if profile.unit_id else None, False)


def lockout_error(user, actor: str, *, role: str | None, active: bool | None) -> str | None:
    """Return why a change would lock its author out (deactivating themselves, dropping their own admin role)."""
    if user.get_username() != actor:
        return None
    if active is False and user.is_active:
        return SELF_DEACTIVATE
    profile = getattr(user, "profile", None)
    if role is not None and profile is not None and profile.role == Role.ADMIN and role != Role.ADMIN:
        return SELF_DEMOTE
    return None


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
