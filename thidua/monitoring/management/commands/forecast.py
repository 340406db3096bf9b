import json

from django.core.management.base import BaseCommand, CommandError

from thidua.campaigns.management.arguments import iso_date
from thidua.campaigns.models import Campaign
from thidua.lib import vn
from thidua.monitoring.export import campaign_forecast_json, forecast_table, forecast_xlsx
from thidua.monitoring.forecasts import campaign_forecast, commune_forecasts


class Command(BaseCommand):
    help = ("Dự báo tiến độ của đợt thi đua (docs/monitoring.md): ngày dự kiến hoàn thành, tốc độ cần đạt, "
            "cảnh báo trễ hạn, số hồ sơ cần thêm để vượt hạng trên; các tổ và độ phủ theo xã.")

    def add_arguments(self, parser):
        parser.add_argument("campaign", help="Mã đợt thi đua")
        parser.add_argument("--as-of", type=iso_date,
                            help="Dự báo tại ngày (YYYY-MM-DD); mặc định hôm nay, tối đa hạn cuối")
        parser.add_argument("--format", choices=("table", "json", "xlsx"), default="table")
        parser.add_argument("--output", help="Ghi ra tệp (bắt buộc với xlsx)")

    def handle(self, *args, campaign, as_of, format, output, **options):
        found = Campaign.objects.filter(code=campaign).first()
        if found is None:
            raise CommandError(f"Không có đợt thi đua mã «{campaign}».")
        if as_of is not None and as_of < found.start:
            raise CommandError(f"Ngày {vn.date(as_of)} trước ngày bắt đầu {vn.date(found.start)}.")
        if format == "xlsx" and not output:
            raise CommandError("Định dạng xlsx cần --output TỆP.xlsx.")
        result = campaign_forecast(found, as_of)
        communes = commune_forecasts(found, result.as_of)
        if format == "xlsx":
            forecast_xlsx(result, communes, output)
            self.stdout.write(f"Đã ghi {output}.")
            return
        if format == "json":
            text = json.dumps(campaign_forecast_json(result, communes), ensure_ascii=False, indent=2) + "\n"
        else:
            text = forecast_table(result, communes)
        if output:
            with open(output, "w", encoding="utf-8") as fh:
                fh.write(text)
        else:
            self.stdout.write(text, ending="")
