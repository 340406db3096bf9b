import datetime as dt
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from thidua.audit.journal import journal_path
from thidua.demo.services import DEMO_PASSWORD, DemoError, demo_setup
from thidua.demo.synthetic import SYNTHETIC_LABEL


class Command(BaseCommand):
    help = ("Dựng bản trình diễn: cơ sở dữ liệu SQLite mới, địa bàn, đợt thi đua mẫu, dữ liệu mô phỏng, "
            "tài khoản mẫu; rồi chạy trang web.")

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000", help="Địa chỉ:cổng (mặc định "
                            "127.0.0.1:8000)")
        parser.add_argument("--seed", type=int, default=2021, help="Hạt giống ngẫu nhiên (cùng hạt, cùng dữ liệu)")
        parser.add_argument("--until", type=dt.date.fromisoformat, default=None,
                            help="Sinh số liệu thu nhận đến ngày này (YYYY-MM-DD); mặc định: hết đợt")
        parser.add_argument("--no-serve", action="store_true", help="Chỉ dựng dữ liệu, không chạy trang web")

    def handle(self, *args, addrport, seed, until, no_serve, **options):
        db = settings.DATABASES["default"]
        if db["ENGINE"] != "django.db.backends.sqlite3":
            raise CommandError("Bản trình diễn dùng một tệp SQLite riêng; bỏ biến DATABASE_URL rồi chạy lại.")
        path = Path(db["NAME"])
        connection.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        journal_path().unlink(missing_ok=True)  # the journal of heads of the database just removed
        self.stdout.write(f"Tạo cơ sở dữ liệu mới: {path}")
        call_command("migrate", verbosity=0)
        try:
            campaign, plan, report, logins = demo_setup(seed=seed, until=until)
        except DemoError as exc:
            raise CommandError(str(exc)) from exc
        t = report.totals()
        self.stdout.write(f"Đợt thi đua: {campaign.name} ({campaign.code}), "
                          f"{campaign.start:%d/%m/%Y} – {campaign.deadline:%d/%m/%Y}.")
        self.stdout.write(f"{SYNTHETIC_LABEL.upper()} (seed {seed}): {t.added} bản ghi, trong đó "
                          f"{report.counts['thu_nhan'].added} dòng thu nhận.")
        for line in plan.story:
            self.stdout.write(f"  • {line}")
        self.stdout.write(f"Tài khoản mẫu (mật khẩu chung: {DEMO_PASSWORD}):")
        for login in logins:
            self.stdout.write(f"  {login.username:<8} {login.role:<14} {login.unit}")
        if no_serve:
            return
        self.stdout.write(f"Mở http://{addrport}/ trong trình duyệt. Ctrl+C để dừng.")
        call_command("runserver", addrport, use_reloader=False, insecure_serving=True)
