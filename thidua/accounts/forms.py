"""Forms of the user management pages; the rules they check live in scopes.py and services.py."""

import base64
import binascii

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordChangeForm
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from thidua.audit.models import REASON_MAX

from .importing import MAX_BYTES, NAME_MAX, USERNAME, control_character
from .models import CAMPAIGN_WIDE_ROLES, Role
from .scopes import SELF_DEACTIVATE, lockout_error
from .selectors import NO_UNIT
from .services import FILE_NAME_MAX, REASON_REQUIRED

ACTIVE_CHOICES = [("", _("Mọi trạng thái")), ("co", _("Đang hoạt động")), ("khong", _("Đã khóa"))]


class UnitField(forms.ModelChoiceField):
    """A unit shown by its code and name (and its campaign when the administrator spans several)."""

    def __init__(self, *args, several_campaigns: bool = False, **kwargs):
        self.several_campaigns = several_campaigns
        super().__init__(*args, **kwargs)

    def label_from_instance(self, unit) -> str:
        label = f"{unit.code} — {unit.name}"
        return f"{label} ({unit.campaign.code})" if self.several_campaigns else label


def _unit_choices(admin, units) -> list[tuple[str, str]]:
    several = admin.campaign_id is None and len({u.campaign_id for u in units}) > 1
    return [(str(u.id), f"{u.code} — {u.name}" + (f" ({u.campaign.code})" if several else "")) for u in units]


class UserFilterForm(forms.Form):
    q = forms.CharField(label=_("Tìm theo tên"), required=False, max_length=150)
    vai_tro = forms.ChoiceField(label=_("Vai trò"), required=False, choices=[("", _("Mọi vai trò")), *Role.choices])
    don_vi = forms.ChoiceField(label=_("Đơn vị"), required=False)
    hoat_dong = forms.ChoiceField(label=_("Trạng thái"), required=False, choices=ACTIVE_CHOICES)

    def __init__(self, data, *, admin, units):
        super().__init__(data)
        # An administrator bound to a unit manages no user bound to none: nothing to filter for.
        unbound = [(NO_UNIT, _("Không gắn đơn vị"))] if admin.manages_unbound else []
        self.fields["don_vi"].choices = [("", _("Mọi đơn vị")), *unbound, *_unit_choices(admin, units)]

    def filters(self) -> dict:
        """Return the valid filters (an invalid one is ignored rather than emptying the list)."""
        self.is_valid()
        return {"q": self.cleaned_data.get("q", "").strip(), "role": self.cleaned_data.get("vai_tro", ""),
                "unit": self.cleaned_data.get("don_vi", ""), "active": self.cleaned_data.get("hoat_dong", "")}


class _UserForm(forms.Form):
    full_name = forms.CharField(label=_("Họ và tên"), max_length=NAME_MAX)
    role = forms.ChoiceField(label=_("Vai trò"), choices=Role.choices)
    unit = UnitField(label=_("Đơn vị"), queryset=None, required=False,
                     empty_label=_("— Không gắn đơn vị —"),
                     help_text=_("Để trống chỉ với Quản trị, PC06, Hội đồng TĐKT và Xem."))

    def __init__(self, *args, admin, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.admin = admin
        self.fields["unit"].queryset = units
        self.fields["unit"].several_campaigns = admin.campaign_id is None

    def _check_binding(self) -> None:
        role, unit = self.cleaned_data.get("role"), self.cleaned_data.get("unit")
        if role is None or "unit" not in self.cleaned_data:
            return
        if unit is None and role not in CAMPAIGN_WIDE_ROLES and role != Role.VIEWER:
            self.add_error("unit", f"Vai trò «{Role(role).label}» phải gắn với một đơn vị.")
            return
        error = self.admin.binding_error(unit)
        if error:
            self.add_error("unit", error)


class UserCreateForm(_UserForm):
    username = forms.CharField(label=_("Tên đăng nhập"), max_length=150, validators=[RegexValidator(
        USERNAME, _("Chỉ gồm chữ không dấu, chữ số và các dấu . @ + - _"))])
    reason = forms.CharField(label=_("Lý do (ghi vào lịch sử)"), required=False, max_length=REASON_MAX)
    field_order = ["username", "full_name", "role", "unit", "reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # No role is preselected: a new user is never made an administrator by default.
        self.fields["role"].choices = [("", _("— Chọn vai trò —")), *Role.choices]

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if get_user_model().objects.filter(username=username).exists():
            raise forms.ValidationError(_("Tên đăng nhập này đã có."))
        return username

    def clean(self):
        super().clean()
        self._check_binding()
        return self.cleaned_data


class UserEditForm(_UserForm):
    active = forms.BooleanField(label=_("Đang hoạt động (bỏ chọn để khóa tài khoản)"), required=False)
    reason = forms.CharField(label=_("Lý do (bắt buộc khi đổi vai trò hoặc đơn vị)"), required=False,
                             max_length=REASON_MAX)

    def __init__(self, *args, target, actor: str, **kwargs):
        profile = getattr(target, "profile", None)
        self.before_role = profile.role if profile is not None else None
        self.before_unit = profile.unit if profile is not None else None
        initial = {"full_name": target.first_name, "role": self.before_role, "unit": self.before_unit,
                   "active": target.is_active}
        super().__init__(*args, initial=initial, **kwargs)
        self.target, self.actor = target, actor

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if "role" not in data or "unit" not in data:
            return data
        self._check_binding()
        if "unit" not in data:  # refused just now: nothing more to check against it
            return data
        role_or_unit_changed = (data["role"], data["unit"]) != (self.before_role, self.before_unit)
        if role_or_unit_changed and not data.get("reason", "").strip():
            self.add_error("reason", REASON_REQUIRED)
        error = lockout_error(self.target, self.actor, role=data["role"], active=data.get("active"))
        if error:
            self.add_error("active" if error == SELF_DEACTIVATE else "role", error)
        return data


class PasswordResetForm(forms.Form):
    reason = forms.CharField(label=_("Lý do (ghi vào lịch sử)"), required=False, max_length=REASON_MAX)


IMPORT_REASON_LABEL = _("Lý do (ghi vào lịch sử; bắt buộc khi tệp đổi vai trò hoặc đơn vị của người đã có)")


class UsersUploadForm(forms.Form):
    campaign = forms.ModelChoiceField(label=_("Đợt thi đua"), queryset=None, empty_label=None,
                                      help_text=_("Mã đơn vị trong tệp là mã đơn vị của đợt thi đua này."))
    tep = forms.FileField(label=_("Tệp CSV"))
    ly_do = forms.CharField(label=IMPORT_REASON_LABEL, required=False, max_length=REASON_MAX)

    def __init__(self, *args, campaigns, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = campaigns

    def clean_tep(self):
        upload = self.cleaned_data["tep"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(f"Tệp lớn hơn mức cho phép ({MAX_BYTES // 1024} KiB).")
        if control_character(upload.name or ""):
            raise forms.ValidationError(_("Tên tệp có ký tự điều khiển: hãy đổi tên tệp rồi tải lên lại."))
        return upload


class UsersPreviewForm(forms.Form):
    """The previewed file travels back with the page, to be previewed again (with a reason) or confirmed."""

    noi_dung = forms.CharField(widget=forms.HiddenInput)
    ten_tep = forms.CharField(widget=forms.HiddenInput, max_length=FILE_NAME_MAX, required=False, strip=False)
    dot = forms.ModelChoiceField(widget=forms.HiddenInput, queryset=None)
    ly_do = forms.CharField(label=IMPORT_REASON_LABEL, required=False, max_length=REASON_MAX)

    def __init__(self, *args, campaigns, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dot"].queryset = campaigns

    def clean_noi_dung(self) -> bytes:
        """Return the previewed file's bytes; text that is not the page's base64 (not even ASCII) is refused."""
        try:
            return base64.b64decode(self.cleaned_data["noi_dung"].encode("ascii"), validate=True)
        except (UnicodeEncodeError, binascii.Error):
            raise forms.ValidationError("Nội dung tệp đã xem trước không hợp lệ.") from None


class UsersConfirmForm(UsersPreviewForm):
    """The confirmation: the previewed file and options, and a signed token naming the file's SHA-256, the plan and
    the options, so that the confirmation applies exactly what was previewed."""

    ly_do = forms.CharField(widget=forms.HiddenInput, required=False, max_length=REASON_MAX)
    ma = forms.CharField(widget=forms.HiddenInput)


class OwnPasswordChangeForm(PasswordChangeForm):
    """A user's change of their own password: the new one must differ from the current one, so that a one-time
    password given by an administrator (who knows it) cannot be kept."""

    def clean(self):
        data = super().clean()
        old, new = data.get("old_password"), data.get("new_password2")
        if old and new and old == new:  # old_password is the current password: its own check passed
            self.add_error("new_password2", _("Mật khẩu mới phải khác mật khẩu hiện tại: hãy chọn mật khẩu khác."))
        return data
