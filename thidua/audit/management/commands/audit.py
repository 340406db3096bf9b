from django.core.management.base import BaseCommand, CommandError

from thidua.audit.chain import chain_verify


class Command(BaseCommand):
    help = "Nhật ký thay đổi: `thidua audit verify` kiểm tra chuỗi băm và chỉ ra mục đầu tiên bị sửa, thêm hoặc xóa."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify"], help="verify: kiểm tra tính toàn vẹn của chuỗi")

    def handle(self, *args, action, **options):
        report = chain_verify()
        if not report.ok:
            raise CommandError(f"Chuỗi nhật ký bị phá vỡ sau {report.entries} mục toàn vẹn: {report.broken}.")
        self.stdout.write(f"Chuỗi nhật ký toàn vẹn: {report.entries} mục.")
