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
    that holds a control character; None when there is none. Iterative: a deeply nested body is no problem."""
    stack: list[tuple[tuple, object]] = [((), value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if has_control(item):
                return path
        elif isinstance(item, dict):
            for key, inner in item.items():
                if has_control(key):
                    return (*path, key)
                stack.append(((*path, key), inner))
        elif isinstance(item, list):
            stack.extend(((*path, i), inner) for i, inner in enumerate(item))
    return None
