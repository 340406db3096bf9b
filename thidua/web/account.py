"""A user's own account: their role and unit, their password, and their keys for the API."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from thidua.api.models import ApiToken
from thidua.api.services import TokenError, token_create, token_revoke
from thidua.audit.models import Source


@never_cache
@login_required
def account(request):
    """Show the account; create an API key (its secret shown once, in this response only) or revoke one."""
    user = request.user
    secret, error = None, None
    if request.method == "POST":
        try:
            if request.POST.get("action") == "revoke":
                token = token_revoke(user=user, prefix=request.POST.get("prefix", ""), actor=user.get_username(),
                                     source=Source.WEB)
                messages.success(request, f"Đã thu hồi khóa «{token.name}» ({token.prefix}): từ giờ nó bị từ chối.")
                return redirect(reverse("account"))
            _token, secret = token_create(user=user, name=request.POST.get("name", ""), actor=user.get_username(),
                                          source=Source.WEB)
        except TokenError as exc:
            error = str(exc)
    tokens = ApiToken.objects.filter(user=user).order_by("-created_at")
    return render(request, "web/account.html", {"tokens": tokens, "secret": secret, "error": error},
                  status=400 if error else 200)
