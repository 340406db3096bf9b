"""Filters of the forecast pages: paces as people read them (123,45 hồ sơ/ngày), the required pace in words."""

from django import template
from django.utils.translation import gettext as _

from thidua.lib import vn
from thidua.scoring.forecast import UNREACHABLE

register = template.Library()


@register.filter
def toc_do(value) -> str:
    """Return a pace with two decimals: 123,45 (none: —)."""
    return "—" if value is None else vn.number(vn.rounded(value, 2), 2)


@register.filter
def can_moi_ngay(value) -> str:
    """Return the pace needed to finish by the deadline, "đã đến hạn" when the deadline is today, — when done."""
    if value is None:
        return "—"
    if value == UNREACHABLE:
        return _("đã đến hạn")
    return toc_do(value)
