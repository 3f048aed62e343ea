from django.conf import settings
from django.contrib.auth import get_user
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers

from core import registry
from core.links import remembering_request


class LanguageMiddleware:
    """Chinese unless the user chose otherwise: the language switch's cookie on this device, else
    the language a signed-in user chose before (stored on the user by the switch).

    Django's LocaleMiddleware would also follow the browser's Accept-Language, so a cadre whose
    phone is set to English would get a half-translated UI they never asked for.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen not in self.supported:
            chosen = self._users_choice(request)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        # override() restores the previous language afterwards, so one request's choice never
        # leaks into the next request served by the same thread. The request's scheme and host
        # are remembered too, so links built while serving it (notifications, QR codes, jobs
        # queued from it) point where the user is.
        with translation.override(language), remembering_request(request):
            request.LANGUAGE_CODE = translation.get_language()
            response = self.get_response(request)
        self._remember_switch(request, response)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response

    @staticmethod
    def _users_choice(request) -> str:
        """A signed-in user's stored language, for a device without the cookie (no query for a
        visitor without a session). The user is cached on the request, so the authentication
        middleware does not load it again."""
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return ""
        user = get_user(request)
        request._cached_user = user
        return getattr(user, "language", "") or ""

    def _remember_switch(self, request, response) -> None:
        """The language switch (Django's set_language) tells the apps (accounts stores the choice
        on the user, so notices, e-mails and other devices follow it)."""
        if request.method != "POST" or response.status_code not in (200, 302):
            return
        if request.path != reverse("set_language"):
            return
        user = getattr(request, "user", None)
        language = request.POST.get("language", "")
        if user is not None and user.is_authenticated and language in self.supported:
            registry.language_chosen(request, language)
