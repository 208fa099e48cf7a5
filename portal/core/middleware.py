"""Site-wide middleware."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.shortcuts import resolve_url
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
