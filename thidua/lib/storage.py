"""A full disk, as every path that writes a file tells it: the errors that mean "no room left" (the filesystem is
full, or the user's quota is spent) and the one sentence the user reads, wherever the write failed."""

import errno

FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
DISK_FULL = "Máy chủ hết chỗ lưu tệp: báo quản trị giải phóng dung lượng; chưa có gì được ghi."


def is_disk_full(exc: BaseException) -> bool:
    """Return whether an exception is a write refused for want of room (ENOSPC, or EDQUOT past a quota)."""
    return isinstance(exc, OSError) and exc.errno in FULL
