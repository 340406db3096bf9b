"""A disk that fills up under one folder, for the tests: every file opened for writing there (by path, or by a
descriptor as tempfile opens them) writes through a raw file whose write() takes the room left and then raises
OSError ENOSPC, as the kernel's write(2) does. The lowest level Python lets a test reach: the buffered file, the
text layer, zipfile and pathlib all sit above it, so each path meets the error where a real disk would give it.

    with full_disk(monkeypatch, folder, room=1000): ...   # 1,000 bytes more fit under folder, then ENOSPC
"""

import builtins
import errno
import io
import os
from contextlib import contextmanager
from pathlib import Path

WRITING = set("wax+")


def _path_of(file) -> Path | None:
    if isinstance(file, int):
        try:
            return Path(os.readlink(f"/proc/self/fd/{file}"))
        except OSError:
            return None
    if isinstance(file, str | bytes | os.PathLike):
        return Path(os.fsdecode(file)).resolve()
    return None


@contextmanager
def full_disk(monkeypatch, folder: Path, room: int = 0, code: int = errno.ENOSPC):
    """Make writes under `folder` fail with `code` (ENOSPC, or EDQUOT) once `room` bytes have been written."""
    folder = Path(folder).resolve()
    left = [room]
    real_open = io.open

    class Filling(io.FileIO):
        def write(self, data):
            if left[0] <= 0:
                raise OSError(code, os.strerror(code))
            taken = super().write(bytes(data)[:left[0]])
            left[0] -= taken
            return taken

    def opening(file, mode="r", buffering=-1, encoding=None, errors=None, newline=None, closefd=True,
                opener=None):
        path = _path_of(file)
        if not WRITING & set(mode) or path is None or not path.is_relative_to(folder):
            return real_open(file, mode, buffering, encoding, errors, newline, closefd, opener)
        raw_mode = "".join(c for c in mode if c not in "bt")
        raw = Filling(file, raw_mode, closefd=closefd, opener=opener)
        buffered = io.BufferedRandom(raw) if "+" in mode else io.BufferedWriter(raw)
        if "b" in mode:
            return buffered
        return io.TextIOWrapper(buffered, encoding=encoding or "utf-8", errors=errors, newline=newline)

    monkeypatch.setattr(io, "open", opening)
    monkeypatch.setattr(builtins, "open", opening)
    try:
        yield
    finally:
        monkeypatch.setattr(io, "open", real_open)
        monkeypatch.setattr(builtins, "open", real_open)
