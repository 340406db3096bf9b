"""The `thidua` console command: Django's management commands under one name.

Command names of the public contract are written with hyphens (`load-territory`); Django's modules
use underscores, so both spellings are accepted.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Run a management command, e.g. `thidua import hau-giang-2021 data.xlsx`."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "thidua.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    args[0] = "thidua"
    if len(args) > 1 and not args[1].startswith("-"):
        args[1] = args[1].replace("-", "_")
        if args[1] == "demo" and not os.environ.get("DATABASE_URL"):
            # The demo always starts from a fresh SQLite file of its own, never the working database.
            os.environ["DATABASE_URL"] = f"sqlite:///{os.path.abspath('thidua-demo.sqlite3')}"
    from django.db.utils import OperationalError, ProgrammingError

    try:
        execute_from_command_line(args)
    except (OperationalError, ProgrammingError) as exc:
        # A database that was never migrated: say what to do instead of a traceback.
        text = str(exc)
        if "no such table" in text or ("relation" in text and "does not exist" in text):
            sys.stderr.write("Cơ sở dữ liệu chưa được khởi tạo: chạy «thidua migrate» trước "
                             f"(DATABASE_URL={os.environ.get('DATABASE_URL') or 'tệp thidua.sqlite3 mặc định'}).\n")
            sys.exit(1)
        raise


if __name__ == "__main__":
    main()
