from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from .selectors import campaign_overview, campaigns_visible


@login_required
def home(request):
    return render(request, "web/home.html", {"campaigns": campaigns_visible(request.user)})


@login_required
def campaign_detail(request, code):
    campaign = next((c for c in campaigns_visible(request.user) if c.code == code), None)
    if campaign is None:
        raise Http404("Không có đợt thi đua này.")
    return render(request, "web/campaign_detail.html", {"campaign": campaign, **campaign_overview(campaign)})
