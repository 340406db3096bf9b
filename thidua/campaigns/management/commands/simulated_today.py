
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from thidua.campaigns import clock
from thidua.campaigns.management.arguments import iso_date
from thidua.campaigns.models import Campaign


class Command(BaseCommand):
    help = ("Ngày hôm nay mô phỏng của bản trình diễn (chỉ với cơ sở dữ liệu mô phỏng, không bao giờ khi chạy thật): "
            "in ra; đặt một ngày; hoặc --bo để trở lại ngày thật.")

    def add_arguments(self, parser):
        parser.add_argument("day", nargs="?", type=iso_date, help="Ngày mới (YYYY-MM-DD)")
        parser.add_argument("--bo", action="store_true", help="Bỏ ngày mô phỏng: trở lại ngày thật")

    def handle(self, *args, day, bo, **options):
        if day is not None or bo:
            if settings.HTTPS:
                raise CommandError("Đang chạy thật (THIDUA_HTTPS): không đặt ngày mô phỏng.")
            real = list(Campaign.objects.filter(synthetic=False).values_list("code", flat=True))
            if real and day is not None:
                raise CommandError("Cơ sở dữ liệu có đợt thi đua thật (" + ", ".join(real) + "): ngày mô phỏng chỉ "
                                   "dành cho bản trình diễn.")
            path = clock.simulated_set(None if bo else day)
            self.stdout.write(f"Đã {'bỏ' if bo else 'đặt'} ngày mô phỏng ({path}).")
        shown = clock.simulated()
        self.stdout.write(f"Hôm nay: {clock.today():%d/%m/%Y}" + (" (mô phỏng)." if shown else " (ngày thật)."))
