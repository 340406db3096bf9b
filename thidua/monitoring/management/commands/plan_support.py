import datetime as dt
import getpass
import json

from django.core.management.base import BaseCommand, CommandError

from thidua.campaigns.management.arguments import iso_date
from thidua.campaigns.models import Campaign
from thidua.lib import vn
from thidua.monitoring.support import SupportError, apply_plan, plan_json, support_plan
from thidua.scoring.planner import NEVER


def _end(day: dt.date | None) -> str:
    return vn.date(day) if day else "không hoàn thành"


class Command(BaseCommand):
    help = ("Kế hoạch điều động máy hỗ trợ của PC06 (monitoring.md): máy nào đi đâu từ ngày sau ngày tính đến hạn cuối "
            "để ít đơn vị trễ hạn nhất; --apply ghi điều động vào nhật ký.")

    def add_arguments(self, parser):
        parser.add_argument("campaign", help="Mã đợt thi đua")
        parser.add_argument("--as-of", type=iso_date,
                            help="Tính đến ngày (YYYY-MM-DD); mặc định hôm nay, tối đa hạn cuối")
        parser.add_argument("--machines", help="Chỉ xét các máy này (mã máy cách nhau bằng dấu phẩy)")
        parser.add_argument("--format", choices=("table", "json"), default="table")
        parser.add_argument("--apply", action="store_true", help="Ghi các điều động của kế hoạch (cần --reason)")
        parser.add_argument("--reason", default="", help="Lý do điều động (bắt buộc với --apply)")

    def handle(self, *args, campaign, as_of, machines, format, apply, reason, **options):
        found = Campaign.objects.filter(code=campaign).first()
        if found is None:
            raise CommandError(f"Không có đợt thi đua mã «{campaign}».")
        if apply and not reason.strip():
            raise CommandError("Áp dụng kế hoạch (--apply) cần ghi lý do (--reason).")
        codes = [c.strip() for c in machines.split(",") if c.strip()] if machines is not None else None
        if codes is not None and not codes:
            raise CommandError("--machines cần ít nhất một mã máy.")
        try:
            inputs, result = support_plan(found, as_of, codes)
            if apply:
                apply_plan(campaign=found, as_of=inputs.as_of, machines=codes, actor=f"cli:{getpass.getuser()}",
                           role=None, reason=reason, expected=[(m.machine, m.to) for m in result.moves])
        except SupportError as exc:
            raise CommandError(str(exc)) from None
        if format == "json":
            self.stdout.write(json.dumps(plan_json(inputs, result), ensure_ascii=False, indent=2))
        else:
            self.stdout.write(self._table(inputs, result))
        if apply:
            self.stdout.write(f"Đã ghi {len(result.moves)} điều động máy hỗ trợ vào nhật ký.")

    def _table(self, inputs, result) -> str:
        """Return the plan as text for PC06: the pool, the moves, each competitor before and after."""
        lines = [f"Kế hoạch điều động máy hỗ trợ, tính đến ngày {vn.date(inputs.as_of)} (hạn cuối "
                 f"{vn.date(inputs.deadline)})", "", "Máy hỗ trợ có thể điều động:"]
        if not inputs.pool:
            lines.append("  (không có máy nào)")
        for m in inputs.pool:
            lines.append(f"  {m.machine:<16} tổ {m.team:<16} {vn.number(m.capacity):>8} hồ sơ/ngày")
        lines += ["", "Điều động đề xuất:"]
        if not result.moves:
            lines.append("  (không điều động máy nào)")
        for m in result.moves:
            lines.append(f"  {m.machine:<16} → {m.to} {inputs.names.get(m.to, '')}, từ {vn.date(m.start)} đến "
                         f"{vn.date(m.end)}")
        lines += ["", f"  {'Đơn vị':<40} {'Còn phải làm':>12} {'Dự kiến xong (trước)':>22} {'Dự kiến xong (sau)':>22}"]
        for before, after in zip(result.before, result.after, strict=True):
            name = f"{before.unit} {inputs.names.get(before.unit, '')}"[:40]
            was = _end(before.projected_on) + (" (trễ)" if before.late else "")
            now = _end(after.projected_on) + (" (trễ)" if after.late else "")
            lines.append(f"  {name:<40} {vn.number(before.work_left):>12} {was:>22} {now:>22}")
        objective = result.objective
        latest = ("không có" if objective.latest is None else "không hoàn thành" if objective.latest == NEVER
                  else vn.date(objective.latest))
        lines += ["", f"Đơn vị trễ hạn sau điều động: {objective.late}; ngày xong muộn nhất: {latest}; số máy điều "
                      f"động: {objective.machines}."]
        return "\n".join(lines)
