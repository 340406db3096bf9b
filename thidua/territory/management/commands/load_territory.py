import getpass

from django.core.management.base import BaseCommand, CommandError

from thidua.territory.models import Structure
from thidua.territory.services import TerritoryError, territory_load


class Command(BaseCommand):
    help = "Nạp đơn vị hành chính (tỉnh, huyện, xã; mã GSO chính thức) từ gói vietnamadminunits."

    def add_arguments(self, parser):
        parser.add_argument("--province", required=True, help="Mã tỉnh (ví dụ 93) hoặc all cho cả nước")
        parser.add_argument("--structure", choices=[s.value for s in Structure], default=Structure.LEGACY)

    def handle(self, *args, province, structure, **options):
        try:
            summary = territory_load(province=province, structure=structure, actor=f"cli:{getpass.getuser()}")
        except TerritoryError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Địa bàn ({structure}, {province}): thêm {summary.created}, cập nhật {summary.updated}, "
            f"không đổi {summary.unchanged}."
        )
