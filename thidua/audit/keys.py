"""The history's key: it authenticates every act of the chain (HMAC-SHA256), so that rewriting the whole chain
consistently, every hash recomputed, is still found. It is kept outside the database and outside its backups.

The key is the environment variable THIDUA_AUDIT_KEY, else the file settings.THIDUA_AUDIT_KEY_FILE (by default
`audit-key` in the instance's data folder), created once at random by the first act that needs it. The variable is
read when used rather than kept in the settings, which error pages and `diffsettings` show.
"""

import hashlib
import hmac
import os
from pathlib import Path

from django.conf import settings

from thidua.lib.instance import instance_secret

KEY_VARIABLE = "THIDUA_AUDIT_KEY"


def audit_key(*, create: bool = False) -> bytes | None:
    """Return the history's key; None when there is none and `create` is not asked (a check must not invent one)."""
    value = os.environ.get(KEY_VARIABLE, "").strip()
    if value:
        return value.encode()
    path = Path(settings.THIDUA_AUDIT_KEY_FILE)
    if not create and not path.exists():
        return None
    return instance_secret(path).encode()


def key_place() -> str:
    """Return where the key is looked for, to name it in messages."""
    if os.environ.get(KEY_VARIABLE, "").strip():
        return f"biến môi trường {KEY_VARIABLE}"
    return f"tệp {settings.THIDUA_AUDIT_KEY_FILE}"


def entry_mac(key: bytes, seq: int, entry_hash: str) -> str:
    """Return the MAC of an act: of its place and its hash, which covers its content and every act before it."""
    return hmac.new(key, f"{seq}:{entry_hash}".encode(), hashlib.sha256).hexdigest()


def mac_holds(key: bytes, seq: int, entry_hash: str, mac: str) -> bool:
    """Say whether an act's stored MAC is the one the key gives (compared in constant time)."""
    return hmac.compare_digest(entry_mac(key, seq, entry_hash), mac)
