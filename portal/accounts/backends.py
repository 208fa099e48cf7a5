"""Authentication backend with sign-in throttling."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from portal.accounts import services
from portal.accounts.models import normalize_email
from portal.core.services import client_ip


class ThrottledModelBackend(ModelBackend):
    """E-mail + password, refused outright while the address or the client IP is locked out.

    Raising PermissionDenied stops Django from trying the password at all, so a locked account
    cannot be brute-forced; the sign-in view shows the remaining wait.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        email = normalize_email(username or kwargs.get("email") or "")
        if services.login_lockout_remaining(email=email, ip=client_ip(request)) > 0:
            if request is not None:
                request.login_throttled = True
            raise PermissionDenied
        return super().authenticate(request, username=email, password=password, **kwargs)
