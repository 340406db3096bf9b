import getpass

from django.core.management.base import BaseCommand, CommandError

from thidua.campaigns.config import ConfigError, load_config
from thidua.campaigns.services import CampaignError, campaign_init


class Command(BaseCommand):
    help = "Tạo hoặc cập nhật một đợt thi đua từ tệp cấu hình TOML."

    def add_arguments(self, parser):
        parser.add_argument("path", help="Tệp cấu hình, ví dụ campaigns/hau-giang-2021.toml")
        parser.add_argument("--reason", default="", help="Lý do thay đổi (ghi vào lịch sử)")

    def handle(self, *args, path, reason, **options):
        try:
            config = load_config(path)
            campaign, outcome = campaign_init(config=config, actor=f"cli:{getpass.getuser()}", reason=reason)
        except ConfigError as exc:
            raise CommandError("Tệp cấu hình có lỗi:\n" + "\n".join(f"  - {e}" for e in exc.errors)) from exc
        except CampaignError as exc:
            raise CommandError(str(exc)) from exc
        verb = {"created": "Đã tạo", "updated": "Đã cập nhật", "unchanged": "Không thay đổi"}[outcome]
        period = f"{campaign.start:%d/%m/%Y} – {campaign.deadline:%d/%m/%Y}"
        self.stdout.write(f"{verb} đợt thi đua {campaign.code}: {period}.")
