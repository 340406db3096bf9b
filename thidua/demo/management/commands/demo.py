import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from thidua.audit.journal import journal_path
from thidua.campaigns import clock
from thidua.campaigns.management.arguments import iso_date
from thidua.demo.services import DEMO_PASSWORD, DemoError, demo_setup
from thidua.demo.serving import Binding
from thidua.demo.synthetic import SYNTHETIC_LABEL
from thidua.intake.models import DailyReport, IntakeRecord, ReportStatus
from thidua.lib.vn import number


class Command(BaseCommand):
    help = ("Dựng bản trình diễn: cơ sở dữ liệu SQLite mới, địa bàn, đợt thi đua mẫu sống tới một ngày hôm nay mô "
            "phỏng (mặc định: giữa đợt) với dữ liệu mô phỏng và tài khoản mẫu; rồi chạy trang web.")

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000", help="Địa chỉ:cổng (mặc định "
                            "127.0.0.1:8000; 0.0.0.0:8000 cho điện thoại cùng mạng vào được)")
        parser.add_argument("--seed", type=int, default=2021, help="Hạt giống ngẫu nhiên (cùng hạt, cùng dữ liệu)")
        parser.add_argument("--today", "--until", dest="today", type=iso_date, default=None,
                            help="Ngày hôm nay mô phỏng (YYYY-MM-DD): số liệu sinh tới ngày này, báo cáo của ngày "
                                 "này mới gửi một phần; mặc định: ngày giữa đợt thi đua")
        parser.add_argument("--stage", choices=["scored", "published", "proposed", "decided"], default=None,
                            help="Đưa đợt thi đua qua hạn cuối tới bước này (chấm điểm, công bố, đề nghị, quyết "
                                 "định) bằng các thao tác thật; hôm nay mô phỏng là ngày sau bước cuối")
        parser.add_argument("--no-serve", action="store_true", help="Chỉ dựng dữ liệu, không chạy trang web")

    def handle(self, *args, addrport, seed, today, no_serve, stage=None, **options):
        if settings.HTTPS:
            raise CommandError("Đang chạy thật (THIDUA_HTTPS): không dựng bản trình diễn.")
        try:
            binding = Binding.parse(addrport)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        db = settings.DATABASES["default"]
        if db["ENGINE"] != "django.db.backends.sqlite3":
            raise CommandError("Bản trình diễn dùng một tệp SQLite riêng; bỏ biến DATABASE_URL rồi chạy lại.")
        path = Path(db["NAME"]).resolve()
        connection.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        journal_path().unlink(missing_ok=True)  # the journal of heads of the database just removed
        clock.simulated_set(None)
        self.stdout.write(f"Tạo cơ sở dữ liệu mới: {path}")
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        try:
            demo = demo_setup(seed=seed, today=today, stage=stage)
        except DemoError as exc:
            raise CommandError(str(exc)) from exc
        clock.simulated_set(demo.today)
        campaign = demo.campaign
        intake = IntakeRecord.objects.filter(campaign=campaign)
        reports = DailyReport.objects.filter(campaign=campaign)
        self.stdout.write(f"Đợt thi đua: {campaign.name}, {campaign.start:%d/%m/%Y} – {campaign.deadline:%d/%m/%Y}.")
        self.stdout.write(f"Hôm nay mô phỏng: {demo.today:%d/%m/%Y} (cả trang web coi ngày này là hôm nay).")
        self.stdout.write(
            f"{SYNTHETIC_LABEL.upper()} (seed {seed}): {number(intake.count())} dòng thu nhận, "
            f"{number(reports.count())} báo cáo ngày ({number(reports.filter(late=True).count())} gửi trễ), "
            f"{number(demo.acts)} thao tác trong nhật ký; dựng trong {time.perf_counter() - started:.0f} giây.")
        for line in demo.plan.story:
            self.stdout.write(f"  • {line}")
        if campaign.accepts_data:
            sent = reports.filter(day=demo.today).exclude(status=ReportStatus.DRAFT).count()
            self.stdout.write(f"  • Hôm nay: {number(sent)} tổ đã gửi báo cáo; tổ của tài khoản «to» chưa gửi.")
        else:
            self.stdout.write(f"  • Đợt thi đua: {campaign.get_status_display()}.")
        self.stdout.write(f"Tài khoản mẫu (mật khẩu chung: {DEMO_PASSWORD}):")
        for login in demo.logins:
            self.stdout.write(f"  {login.username:<8} {login.role:<14} {login.full_name} — {login.unit}")
        self.stdout.write("Dùng lệnh thidua với cơ sở dữ liệu này (ví dụ «thidua audit verify», "
                          "«thidua simulated-today 2021-05-20»):")
        self.stdout.write(f"  export DATABASE_URL=sqlite:///{path}")
        self.stdout.write(f"  export THIDUA_DATA_DIR={Path(settings.DATA_DIR).resolve()}")
        if no_serve:
            return
        settings.ALLOWED_HOSTS = binding.allowed_hosts(settings.ALLOWED_HOSTS)
        for url in binding.urls():
            self.stdout.write(f"Mở {url} trong trình duyệt.")
        self.stdout.write("Ctrl+C để dừng.")
        call_command("runserver", binding.addrport, use_reloader=False, insecure_serving=True,
                     use_ipv6=binding.ipv6)
