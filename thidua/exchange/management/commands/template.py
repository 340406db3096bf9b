from django.core.management.base import BaseCommand, CommandError

from thidua.campaigns.models import Campaign
from thidua.exchange.template import workbook_template


class Command(BaseCommand):
    help = "Tạo tệp Excel mẫu của một đợt thi đua: mã cột, tên cột tiếng Việt, danh sách chọn."

    def add_arguments(self, parser):
        parser.add_argument("campaign", help="Mã đợt thi đua")
        parser.add_argument("path", help="Tệp .xlsx sẽ tạo")
        parser.add_argument("--with-data", action="store_true",
                            help="Kèm số liệu danh mục đã có (đơn vị, cán bộ, phân công máy, dân số)")

    def handle(self, *args, campaign, path, with_data, **options):
        found = Campaign.objects.filter(code=campaign).first()
        if found is None:
            raise CommandError(f"Không có đợt thi đua mã «{campaign}».")
        if not path.lower().endswith(".xlsx"):
            raise CommandError("Tên tệp mẫu phải có đuôi .xlsx.")
        written = workbook_template(campaign=found, path=path, with_data=with_data)
        self.stdout.write(f"Đã tạo {written}.")
