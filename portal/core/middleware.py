"""Site-wide middleware."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.http import HttpResponse
from django.shortcuts import render, resolve_url
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect


class HtmxAwareLoginRequiredMiddleware(LoginRequiredMiddleware):
    """Require sign-in everywhere; an expired session on an htmx request reloads the page.

    Swapping a login page into a table row would be wrong, so htmx requests get `HX-Redirect`.
    """

    def handle_no_permission(self, request, view_func):
        if getattr(request, "htmx", False):
            current = request.htmx.current_url_abs_path or "/"
            login_url = resolve_url(self.get_login_url(view_func))
            query = urlencode({self.get_redirect_field_name(view_func): current})
            return HttpResponseClientRedirect(f"{login_url}?{query}")
        return super().handle_no_permission(request, view_func)


class UploadSizeLimitMiddleware:
    """Refuse a request body over UPLOAD_MAX_BYTES before anything reads it (413, with a clear message).

    It must run before CsrfViewMiddleware: reading the CSRF token parses the body, which spools
    every upload to disk first. Django never reads past Content-Length (a body without one is not
    read at all), so this header is the whole body's size.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.UPLOAD_MAX_BYTES:
            return upload_too_large(request)
        return self.get_response(request)


def upload_too_large(request) -> HttpResponse:
    message = _("That upload is too large: up to %(limit)s can be sent at once. Choose a smaller file.") % {
        "limit": filesizeformat(settings.UPLOAD_MAX_BYTES)
    }
    if request.headers.get("HX-Request"):
        return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
    return render(request, "413.html", {"message": message}, status=413)
