from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers

from core.links import remembering_request


class LanguageMiddleware:
    """Chinese unless the user chose otherwise with the language switch (a cookie).

    Django's LocaleMiddleware would also follow the browser's Accept-Language, so a cadre whose
    phone is set to English would get a half-translated UI they never asked for.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        # override() restores the previous language afterwards, so one request's choice never
        # leaks into the next request served by the same thread.
        # The request's scheme and host are remembered too, so links built while serving it
        # (notifications, QR codes, jobs queued from it) point where the user is.
        with translation.override(language), remembering_request(request):
            request.LANGUAGE_CODE = translation.get_language()
            response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response
