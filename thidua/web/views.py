from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from thidua.accounts.scopes import scope_of
from thidua.campaigns.models import Campaign

from .selectors import campaign_overview, campaigns_visible


@login_required
def home(request):
    return render(request, "web/home.html", {"campaigns": campaigns_visible(request.user)})


@login_required
def campaign_detail(request, code):
    campaign = get_object_or_404(Campaign, code=code)
    scope = scope_of(request.user, campaign)
    if scope is None:
        raise Http404("Không có đợt thi đua này.")
    return render(request, "web/campaign_detail.html",
                  {"campaign": campaign, "scope": scope, **campaign_overview(campaign, scope)})
