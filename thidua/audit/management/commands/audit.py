from django.core.management.base import BaseCommand, CommandError

from thidua.audit.chain import chain_verify
from thidua.intake.integrity import intake_verify


class Command(BaseCommand):
    help = ("Nhật ký thay đổi: `thidua audit verify` kiểm tra chuỗi băm, rồi đối chiếu mọi số liệu thu nhận với "
            "nhật ký; chỉ ra chỗ đầu tiên bị sửa, thêm hoặc xóa thẳng trong cơ sở dữ liệu.")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify"], help="verify: kiểm tra tính toàn vẹn của chuỗi")

    def handle(self, *args, action, **options):
        report = chain_verify()
        if not report.ok:
            raise CommandError(f"Chuỗi nhật ký bị phá vỡ sau {report.entries} mục toàn vẹn: {report.broken}.")
        problem = intake_verify()
        if problem:
            raise CommandError(f"Chuỗi nhật ký toàn vẹn ({report.entries} mục) nhưng số liệu không khớp: {problem}.")
        self.stdout.write(f"Chuỗi nhật ký toàn vẹn: {report.entries} mục; mọi số liệu thu nhận khớp với nhật ký.")
