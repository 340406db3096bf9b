"""What the tables and the certificates take alike from a campaign: the date inside their files and the decision's
line."""

import datetime as dt

from thidua.awards.models import Snapshot
from thidua.campaigns.models import Campaign
from thidua.lib import vn


def document_moment(campaign: Campaign, snapshot: Snapshot | None) -> dt.datetime:
    """Return the date a document carries inside its file (its properties), from the data only so that the same
    data gives the same bytes: the decision's date, else the Tờ trình's, else the day the snapshot was frozen, else
    the campaign's deadline; at midnight UTC."""
    workflow = campaign.workflow or {}
    for step in ("decision", "proposal"):
        if (workflow.get(step) or {}).get("date"):
            day = dt.date.fromisoformat(workflow[step]["date"])
            break
    else:
        day = snapshot.created_at.date() if snapshot is not None else campaign.deadline
    return dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC)


def decision_text(campaign: Campaign) -> str:
    """Return "Quyết định số 1234/QĐ-UBND ngày 12 tháng 7 năm 2021"; before the decision, with blanks to fill."""
    symbol = campaign.config.certificate.decision_symbol
    decision = (campaign.workflow or {}).get("decision") or {}
    if not decision:
        return f"Quyết định số {vn.document_number(None, symbol)} ngày      tháng      năm      "
    day = dt.date.fromisoformat(decision["date"])
    return f"Quyết định số {vn.document_number(int(decision['number']), symbol)} {vn.long_date(day)}"
