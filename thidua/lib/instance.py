"""The instance's own secrets, kept in files of its data folder (never in the repository, never in the database)."""

import contextlib
import os
import secrets
from pathlib import Path


def instance_secret(path: Path, nbytes: int = 48) -> str:
    """Return the secret kept in `path`, creating it once (random, readable by its owner only).

    Several processes may start at once (gunicorn's workers): the file is written aside and linked into place,
    which succeeds for one of them only; every process then reads the same secret.
    """
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        aside = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_urlsafe(nbytes) + "\n")
            with contextlib.suppress(FileExistsError):  # another process was first: its secret is the one
                os.link(aside, path)
        finally:
            aside.unlink(missing_ok=True)
    value = path.read_text(encoding="ascii").strip()
    if not value:
        raise ValueError(f"{path} is empty: remove it to have a new secret created")
    return value
