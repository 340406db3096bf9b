"""Carry a test's campaign along its lifecycle by the real steps (thidua.awards.services), each at its moment:
the council approves the scale, the unverified days are confirmed, the appeals window passes, ties are ruled in
the standings' order, the Tờ trình and the decision get their numbers."""

import datetime as dt

from django.utils import timezone

from thidua.awards.selectors import open_ties, unverified_at_deadline
from thidua.awards.services import approve_scale, campaign_advance, rule_tie, scale_approval_current
from thidua.campaigns import clock
from thidua.campaigns.models import Campaign, Status

FORWARD = [Status.RUNNING, Status.CLOSED, Status.SCORED, Status.PUBLISHED, Status.PROPOSED, Status.DECIDED,
           Status.ARCHIVED]


def moment(campaign: Campaign, status: str) -> dt.datetime:
    """Return when a test takes the step to `status`: the campaign's start, then days after its deadline."""
    after = {Status.RUNNING: None, Status.CLOSED: 1, Status.SCORED: 2, Status.PUBLISHED: 3,
             Status.PROPOSED: 4 + campaign.config.appeal_days, Status.DECIDED: 6 + campaign.config.appeal_days,
             Status.ARCHIVED: 7 + campaign.config.appeal_days}[status]
    day = campaign.start if after is None else campaign.deadline + dt.timedelta(days=after)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9)))


def step_fields(campaign: Campaign, status: str) -> dict:
    if status == Status.SCORED:
        return {"unverified_confirmed": str(unverified_at_deadline(campaign))}
    if status == Status.PROPOSED:
        return {"proposal_number": "15", "proposal_date": moment(campaign, status).date().strftime("%d/%m/%Y")}
    if status == Status.DECIDED:
        return {"decision_number": "1234", "decision_date": moment(campaign, status).date().strftime("%d/%m/%Y"),
                "decision_signer": "Nguyễn Văn A"}
    return {}


def take_step(campaign: Campaign, status: str, actor: str = "kiem-thu") -> Campaign:
    """Take the one step to `status` as the command line's operator, with what it needs."""
    with clock.at(moment(campaign, status)):
        if status == Status.SCORED and not scale_approval_current(campaign):
            campaign = approve_scale(campaign=campaign, actor="hoidong", role=None, reason="Duyệt thang điểm")
        if status == Status.PROPOSED:
            for group, prize_rank, units in open_ties(campaign):
                rule_tie(campaign=campaign, group=group, prize_rank=prize_rank, order=units, actor="hoidong",
                         role=None, reason="Phân xử theo thứ tự bảng")
        return campaign_advance(campaign=campaign, to=status, actor=actor, reason="thử",
                                fields=step_fields(campaign, status))


def advance_to(campaign: Campaign, status: str, actor: str = "kiem-thu") -> Campaign:
    """Take every step from the campaign's status up to `status`."""
    campaign.refresh_from_db()
    for step in FORWARD[FORWARD.index(campaign.status) + 1 if campaign.status in FORWARD else 0:]:
        campaign = take_step(campaign, step, actor)
        if step == status:
            break
    return campaign
