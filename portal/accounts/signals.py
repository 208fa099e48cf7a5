"""Receivers for Django's auth signals: they only call services (audit, throttling)."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from portal.accounts import services


@receiver(user_logged_in, dispatch_uid="accounts.signed_in")
def _signed_in(sender, request, user, **kwargs) -> None:
    services.login_succeeded(user=user, request=request)


@receiver(user_logged_out, dispatch_uid="accounts.signed_out")
def _signed_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        services.logout_recorded(user=user, request=request)


@receiver(user_login_failed, dispatch_uid="accounts.sign_in_failed")
def _sign_in_failed(sender, credentials, request=None, **kwargs) -> None:
    services.login_failed(
        email=credentials.get("username") or credentials.get("email") or "", request=request
    )
