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
    from thidua.accounts.selectors import person as named

    return named(username)
