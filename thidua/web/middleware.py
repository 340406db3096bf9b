"""Middleware of the site's own: the response headers the framework does not set by itself, the language."""

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers


def content_security_policy(get_response):
    """Add the Content-Security-Policy of the settings to every response that has none."""

    def middleware(request):
        response = get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response

    return middleware


def language_from_cookie(get_response):
    """Activate the language of the language cookie when the site offers it, else the site's own (Vietnamese).

    Unlike Django's LocaleMiddleware, never from the browser's Accept-Language: the product is in Vietnamese, and
    English only for whoever picks it with the switch in the footer (Django's set_language view sets the cookie).
    """

    def middleware(request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response

    return middleware
