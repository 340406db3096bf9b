"""Text no request may carry: control characters (NUL above all, which PostgreSQL refuses in text, and the others,
which no field of the product holds) and lone surrogates (which cannot be stored as UTF-8).

Tab, line feed and carriage return are allowed: a text area (a reason) legitimately holds them.
"""

import re

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def has_control(text: str) -> bool:
    """Return whether a text holds a control character (other than tab, line feed, carriage return)."""
    return CONTROL.search(text) is not None


def json_control_path(value) -> tuple | None:
    """Return the path (keys and indexes) to the first string of a decoded JSON value, key or value at any depth,
    that holds a control character; None when there is none. Iterative, each step linked to its parent: a deeply
    nested value costs no more than a flat one."""
    stack: list[tuple[object, tuple | None]] = [(value, None)]  # (item, (key, parent's link) or None)
    while stack:
        item, link = stack.pop()
        if isinstance(item, str):
            if has_control(item):
                return _path(link)
        elif isinstance(item, dict):
            for key, inner in item.items():
                if has_control(key):
                    return _path((key, link))
                stack.append((inner, (key, link)))
        elif isinstance(item, list):
            stack.extend((inner, (i, link)) for i, inner in enumerate(item))
    return None


def _path(link: tuple | None) -> tuple:
    parts = []
    while link is not None:
        key, link = link
        parts.append(key)
    return tuple(reversed(parts))
