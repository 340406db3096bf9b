"""Locks that make concurrent requests about the same accounts wait for each other until their transaction ends.

On PostgreSQL, an advisory lock per key (a user name, a client address, the user table as a whole). On SQLite there
is nothing more to take: every transaction already waits for the one writing before it (begun IMMEDIATE, see
settings.py).
"""

from django.db import connection

PREFIX = "thidua.accounts."
USERS = PREFIX + "users"  # creating users: the plan of a users import and the check that a name is free


def hold(*keys: str) -> None:
    """Wait for, then hold until the current transaction ends, a lock on each key; call it inside the transaction.

    Several keys are always taken in the same order, so that two holders never wait for each other.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("a lock held until the transaction ends needs a transaction")
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for key in sorted(set(keys)):
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])
