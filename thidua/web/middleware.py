"""Response headers the framework does not set by itself."""

from django.conf import settings


def content_security_policy(get_response):
    """Add the Content-Security-Policy of the settings to every response that has none."""

    def middleware(request):
        response = get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response

    return middleware
