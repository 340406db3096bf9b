"""Reading the history in templates."""

from django import template

register = template.Library()


@register.filter
def get_label(labels: dict, key: str) -> str:
    """Return the label of a key (a person's name by user name), or the key itself."""
    return labels.get(key, key)


@register.filter
def person(username: str) -> str:
    """Return a user as `Full Name (username)` (one query; for the few people a page names outside a list)."""
    from django.contrib.auth import get_user_model

    if not username:
        return "—"
    user = get_user_model().objects.filter(username=username).first()
    name = user.get_full_name() if user else ""
    return f"{name} ({username})" if name else username
