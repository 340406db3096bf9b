import getpass

from django.core.management.base import BaseCommand, CommandError

from thidua.campaigns.models import Campaign, Status
from thidua.campaigns.services import CampaignError, campaign_advance


class Command(BaseCommand):
    help = "Chuyển đợt thi đua sang bước tiếp theo: draft → running → closed → scored → proposed → decided."

    def add_arguments(self, parser):
        parser.add_argument("campaign", help="Mã đợt thi đua")
        parser.add_argument("status", choices=Status.values, help="Trạng thái mới")
        parser.add_argument("--reason", required=True, help="Lý do (ghi vào lịch sử)")

    def handle(self, *args, campaign, status, reason, **options):
        found = Campaign.objects.filter(code=campaign).first()
        if found is None:
            raise CommandError(f"Không có đợt thi đua mã «{campaign}».")
        try:
            found = campaign_advance(campaign=found, to=status, actor=f"cli:{getpass.getuser()}", reason=reason)
        except CampaignError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Đợt thi đua {found.code}: {found.get_status_display()}.")
