"""A user holding a one-time password given by an administrator changes it before anything else."""

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse


def one_time_password(get_response):
    """Send every request of a user who must change their password to the password change page."""

    def middleware(request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            profile = getattr(user, "profile", None)
            if profile is not None and profile.must_change_password:
                allowed = (reverse("password_change"), reverse("logout"))
                static = "/" + settings.STATIC_URL.lstrip("/")
                if request.path not in allowed and not request.path.startswith(static):
                    return redirect("password_change")
        return get_response(request)

    return middleware
