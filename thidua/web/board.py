"""The operations room's board (live standings on a screen, updating itself) and the replay of the campaign day by
day. Both are read by whoever reads the standings; the board's list of teams not reported keeps to one's scope."""

import datetime as dt

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from thidua.accounts.scopes import opens_campaign, scope_of
from thidua.campaigns import clock
from thidua.lib import vn
from thidua.standings.board import board_of, board_version, campaigns_with_head
from thidua.standings.replay import RankSeries, rank_series, replay_day, replay_span
from thidua.standings.selectors import campaign_standings

from .views import _campaign_and_scope

# The rank chart's marks, one per competitor in turn: the lines are told apart without their colours.
CHART_SYMBOLS = ("circle", "rect", "triangle", "diamond", "roundRect", "pin", "arrow", "emptyCircle")
# A month's label on the slider is left out when it starts closer to the slider's right end than this share of it.
TICK_MARGIN = 0.1
# The longest part of a refused parameter shown back in a message.
SHOWN_CHARS = 20


# --- the board ---------------------------------------------------------------------------------------------------

def _board_campaign(request, code):
    """Return the campaign, read with the end of the history (one query); 404 when the user may not open it."""
    campaign = get_object_or_404(campaigns_with_head(), code=code)
    if not opens_campaign(request.user, campaign):
        raise Http404(_("Không có đợt thi đua này."))
    return campaign


def _board_context(request, campaign, today: dt.date, version: str) -> dict:
    scope = scope_of(request.user, campaign)
    board = board_of(campaign, scope, today)
    updated = timezone.localtime(board.updated_at) if board.updated_at else None
    return {"campaign": campaign, "board": board, "version": version, "updated": updated,
            "updated_today": updated is not None and updated.date() == today,
            "poll_seconds": settings.THIDUA_BOARD_POLL_SECONDS}


@login_required
def board(request, code):
    """Show the board: full screen, large type, no navigation; it asks for news by itself (`board_live`)."""
    campaign = _board_campaign(request, code)
    today = clock.today()
    return render(request, "web/board.html", _board_context(request, campaign, today, board_version(campaign, today)))


@login_required
def board_live(request, code):
    """Answer the board's poll: 204 (nothing to redraw, one query past the sign-in) while the data is the version
    the page holds (`?phien_ban=`), else the board's live part anew."""
    campaign = _board_campaign(request, code)
    today = clock.today()
    version = board_version(campaign, today)
    if request.GET.get("phien_ban") == version:
        response = HttpResponse(status=204)
    else:
        response = render(request, "web/_board_live.html", _board_context(request, campaign, today, version))
    response["Cache-Control"] = "no-store"
    return response


# --- the replay --------------------------------------------------------------------------------------------------

def _asked_day(query, span: tuple[dt.date, dt.date], deadline: dt.date) -> tuple[dt.date, str | None]:
    """Return the day asked for (?ngay=dd/mm/yyyy or yyyy-mm-dd, or ?thu=N, the slider's N-th day of the campaign),
    brought inside the span, and a message when it had to be moved; the last day when none is asked."""
    first, last = span
    raw_day, raw_number = query.get("ngay", "").strip(), query.get("thu", "").strip()
    if raw_day:
        try:
            day = vn.parse_date(raw_day)
        except ValueError:
            return last, _("Ngày «%(raw)s» không hợp lệ (cần dd/mm/yyyy); đang xem ngày %(day)s.") % {
                "raw": raw_day[:SHOWN_CHARS], "day": vn.date(last)}
    elif raw_number:
        if not (raw_number.isascii() and raw_number.isdigit() and len(raw_number) <= 5):
            return last, _("Vị trí «%(raw)s» trên thanh trượt không hợp lệ; đang xem ngày %(day)s.") % {
                "raw": raw_number[:SHOWN_CHARS], "day": vn.date(last)}
        day = first + dt.timedelta(days=int(raw_number) - 1)
    else:
        return last, None
    if day < first:
        return first, _("Ngày %(asked)s trước ngày bắt đầu đợt thi đua; đang xem ngày đầu tiên, %(day)s.") % {
            "asked": vn.date(day), "day": vn.date(first)}
    if day > deadline:
        return last, _("Ngày %(asked)s sau hạn cuối của đợt thi đua; đang xem ngày %(day)s.") % {
            "asked": vn.date(day), "day": vn.date(last)}
    if day > last:
        return last, _("Ngày %(asked)s chưa đến; đang xem ngày %(day)s.") % {
            "asked": vn.date(day), "day": vn.date(last)}
    return day, None


def _replay_context(request, campaign) -> dict:
    span = replay_span(campaign, clock.today())
    if span is None:
        return {"campaign": campaign, "replay": None}
    day, error = _asked_day(request.GET, span, campaign.deadline)
    result = campaign_standings(campaign)  # kept until the history moves; its inputs hold every day
    return {"campaign": campaign, "replay": replay_day(result, span, day), "error": error, "result": result}


def _chart_options(series: RankSeries) -> dict:
    """Return the ECharts options of a group's rank chart (web/static/thidua/charts.js draws them)."""
    return {
        "animation": False,
        "tooltip": {"trigger": "axis"},
        "legend": {"type": "scroll", "bottom": 0},
        "grid": {"left": 16, "right": 40, "top": 36, "bottom": 48, "containLabel": True},
        "xAxis": {"type": "category", "boundaryGap": False, "data": [vn.date(d) for d in series.days]},
        "yAxis": {"type": "value", "inverse": True, "min": 1, "max": max(len(series.names), 1), "interval": 1,
                  "name": _("Hạng"), "nameLocation": "start"},
        "series": [{"type": "line", "name": name, "data": list(ranks), "symbol": CHART_SYMBOLS[i % len(CHART_SYMBOLS)],
                    "symbolSize": 9, "connectNulls": False}
                   for i, (name, ranks) in enumerate(zip(series.names, series.ranks, strict=True))],
    }


def _slider_ticks(span: tuple[dt.date, dt.date]) -> list[tuple[str, int, str]]:
    """Return the slider's month labels: (text, the day's number in the campaign, its place along the slider in %)
    for the first day of each month after the first day, each written from its place rightwards; one too close to
    the slider's right end to fit is left out (the dates of both ends are written below the slider)."""
    first, last = span
    width = max((last - first).days, 1)
    ticks = []
    day = (first.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    while day <= last:
        share = (day - first).days / width
        if share <= 1 - TICK_MARGIN:
            ticks.append((_("tháng %(month)s") % {"month": day.month}, (day - first).days + 1, f"{100 * share:.2f}"))
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return ticks


def _chart_table(series: RankSeries) -> list[tuple[dt.date, list[int | None]]]:
    """Return the chart's data as the rows of its table (a day, then each competitor's rank): its text."""
    return [(day, [ranks[j] for ranks in series.ranks]) for j, day in enumerate(series.days)]


@login_required
def replay(request, code):
    """Show the standings of one day of the campaign with a slider across its days (a GET form without script)."""
    campaign, _scope = _campaign_and_scope(request, code)
    context = _replay_context(request, campaign)
    if context["replay"] is not None:
        span = (context["replay"].first, context["replay"].last)
        context["ticks"] = _slider_ticks(span)
        context["charts"] = [{"id": f"replay-chart-{i}", "series": series, "options": _chart_options(series),
                              "table": _chart_table(series)}
                             for i, series in enumerate(rank_series(context["result"], span), start=1)]
    return render(request, "web/replay.html", context)


@login_required
def replay_fragment(request, code):
    """Return one day of the replay for the page's slider and buttons (htmx), and the page's address for that day."""
    campaign, _scope = _campaign_and_scope(request, code)
    context = _replay_context(request, campaign)
    response = render(request, "web/_replay_day.html", context)
    if context["replay"] is not None:
        response["HX-Push-Url"] = f"{reverse('replay', args=[campaign.code])}?ngay={context['replay'].day:%Y-%m-%d}"
    return response
