"""The lifecycle of a campaign (docs/documents.md): the only transitions, who takes each, what each needs.

One table; the site, the REST API, `thidua advance-campaign` and the demo all go through `services.advance`,
which reads it. The requirements that belong to appeals and nominations are registered by their modules
(`requirement`), so that this table stays the one place that says which steps exist.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from thidua.accounts.models import Role
from thidua.campaigns.models import Status


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    roles: frozenset[str]
    label: str  # the button's words
    needs: str  # what the step needs and does, as the page says it
    fields: tuple[str, ...] = ()  # what the step asks for besides the reason
    back: bool = False


S, R = Status, Role
STAFF = frozenset({R.PC06, R.ADMIN})

TRANSITIONS: tuple[Transition, ...] = (
    Transition(S.DRAFT, S.RUNNING, STAFF, _("Bắt đầu đợt thi đua"),
               _("Cấu hình hợp lệ, đã có đơn vị và máy thu nhận.")),
    Transition(S.RUNNING, S.CLOSED, STAFF, _("Kết thúc đợt thi đua"),
               _("Khóa số liệu. Tự kết thúc sau hạn cuối {grace} ngày nếu chưa ai kết thúc.")),
    Transition(S.CLOSED, S.SCORED, frozenset({R.PC06}), _("Chấm điểm, chốt kết quả"),
               _("Hội đồng TĐKT đã duyệt thang điểm; các ngày chưa xác nhận được liệt kê và xác nhận; bảng xếp "
                 "hạng đến hạn cuối được chốt (bản chốt kèm mã SHA-256)."),
               fields=("unverified_confirmed",)),
    Transition(S.SCORED, S.PUBLISHED, frozenset({R.PC06}), _("Công bố kết quả"),
               _("Kết quả sơ bộ hiện với mọi đơn vị; mở thời hạn khiếu nại {appeal} ngày.")),
    Transition(S.PUBLISHED, S.PROPOSED, frozenset({R.PC06}), _("Trình đề nghị khen thưởng"),
               _("Hết thời hạn khiếu nại, mọi khiếu nại đã giải quyết, Hội đồng đã phân xử đồng hạng và duyệt các "
                 "đề nghị; ghi số và ngày của Tờ trình."),
               fields=("proposal_number", "proposal_date")),
    Transition(S.PROPOSED, S.DECIDED, frozenset({R.COUNCIL, R.ADMIN}), _("Ghi quyết định khen thưởng"),
               _("Số, ngày và người ký quyết định."),
               fields=("decision_number", "decision_date", "decision_signer")),
    Transition(S.DECIDED, S.ARCHIVED, frozenset({R.ADMIN}), _("Lưu trữ"), _("Không thay đổi gì nữa.")),
    Transition(S.CLOSED, S.RUNNING, STAFF, _("Mở lại đợt thi đua"),
               _("Trở lại «Đang diễn ra»: các đơn vị nhập và sửa số liệu lại được. Cần lý do."), back=True),
    Transition(S.SCORED, S.CLOSED, STAFF, _("Hủy chấm điểm"),
               _("Trở lại «Đã kết thúc» để sửa số liệu hoặc thang điểm; các bản chốt được giữ, chấm lại thành "
                 "bản mới. Cần lý do."), back=True),
    Transition(S.PUBLISHED, S.SCORED, STAFF, _("Thu hồi công bố"),
               _("Trở lại «Đã chấm điểm»: kết quả không còn công bố, thời hạn khiếu nại đóng lại (công bố lại "
                 "thì mở thời hạn mới). Cần lý do."), back=True),
    Transition(S.PROPOSED, S.PUBLISHED, STAFF, _("Rút tờ trình"),
               _("Trở lại bước công bố; đề nghị của đơn vị đổi hạng giải được trả lại. Cần lý do."), back=True),
)

BY_STEP = {(t.source, t.target): t for t in TRANSITIONS}


def transition(source: str, target: str) -> Transition | None:
    """Return the transition from `source` to `target`, or None when there is no such step."""
    return BY_STEP.get((source, target))


def transitions_from(source: str) -> list[Transition]:
    """Return the steps out of a status: forward first."""
    return sorted((t for t in TRANSITIONS if t.source == source), key=lambda t: t.back)


def may_take(role: str | None, step: Transition) -> bool:
    """Say whether a role takes a step (the command line, role None, takes any)."""
    return role is None or role in step.roles


# (source, target) -> functions(campaign) returning the problems that stop the step (Vietnamese sentences).
_REQUIREMENTS: dict[tuple[str, str], list[Callable]] = defaultdict(list)
# target -> functions(campaign, step, changeset) run inside the step's transaction after the status changed.
_AFTER: dict[tuple[str, str], list[Callable]] = defaultdict(list)


def requirement(source: str, target: str):
    """Register a check of a step: it returns a list of problems (empty when the step may go on)."""
    def register(fn):
        _REQUIREMENTS[(source, target)].append(fn)
        return fn
    return register


def after(source: str, target: str):
    """Register what a step does besides changing the status (inside its transaction, with its act)."""
    def register(fn):
        _AFTER[(source, target)].append(fn)
        return fn
    return register


def requirements(source: str, target: str) -> list[Callable]:
    return list(_REQUIREMENTS[(source, target)])


def afters(source: str, target: str) -> list[Callable]:
    return list(_AFTER[(source, target)])
