"""Arguments the commands share."""

import argparse
import datetime as dt


def iso_date(text: str) -> dt.date:
    """Read a date given on the command line as YYYY-MM-DD (an argparse `type`: a bad one ends the command with its
    usage and this message, not a traceback)."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"Ngày «{text}» không hợp lệ: dùng dạng YYYY-MM-DD.") from None
