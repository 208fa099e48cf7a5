"""Forms for sign-in, invitations, members and Telnyx credentials."""

from __future__ import annotations

from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import Role
from portal.core.forms import ListFilterForm
from portal.core.models import AuditEvent


class SignInForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "That e-mail address and password do not match an account. Check both and try again."
        ),
        "inactive": _("This account is disabled. Ask an admin of your team for help."),
    }


class ResetRequestForm(PasswordResetForm):
    email = forms.EmailField(
        label=_("E-mail address"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    def save(self, *, request=None, **kwargs) -> None:
        """Mail the link unless the address (or IP) asked too often; the link is built from
        PORTAL_PUBLIC_URL, never from the request's Host header (which the sender controls)."""
        from portal.accounts import services

        email = self.cleaned_data["email"]
        if not services.password_reset_allowed(email=email, request=request):
            return  # the page reads the same either way: nothing to learn from it
        services.password_reset_requested(email=email, request=request)
        public = urlsplit(settings.PORTAL_PUBLIC_URL)
        kwargs.update(domain_override=public.netloc, use_https=public.scheme == "https")
        super().save(request=request, **kwargs)


class ResetPasswordForm(SetPasswordForm):
    """The password-reset form: a completed reset also lifts a sign-in lock-out and is audited."""

    def save(self, commit: bool = True):
        from portal.accounts import services

        user = super().save(commit=commit)
        services.password_reset_completed(user=user)
        return user


class TeamCreateForm(forms.Form):
    name = forms.CharField(label=_("Team name"), max_length=120, help_text=_("Usually your company's name."))


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    role = forms.ChoiceField(
        label=_("Role"),
        choices=Role.choices,
        initial=Role.MEMBER,
        help_text=_("Admins manage the team; members add and remove numbers; viewers only look."),
    )


class InvitationSignUpForm(forms.Form):
    """Create the account an invitation is for (the e-mail address comes from the invitation)."""

    full_name = forms.CharField(
        label=_("Your name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters; not a common password or only digits."),
    )
    password2 = forms.CharField(
        label=_("Repeat the password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            from portal.accounts.models import User

            try:
                password_validation.validate_password(
                    p1, User(email=self.email, full_name=cleaned.get("full_name", ""))
                )
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class MembershipRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class TelnyxAccountForm(forms.Form):
    api_key = forms.CharField(
        label=_("API key"),
        required=False,
        max_length=200,
        strip=True,
        # Never render a stored key back into the page.
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_(
            "From Telnyx Mission Control › Account › API Keys. Stored encrypted; only the last 4 characters are shown."
        ),
    )
    webhook_public_key = forms.CharField(
        label=_("Webhook public key"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_(
            "Mission Control › Account › Keys & Credentials › Public Key (base64). Used to verify webhooks."
        ),
    )

    def __init__(self, *args, has_key: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if has_key:
            self.fields["api_key"].help_text = _("Leave blank to keep the stored key. ") + str(
                self.fields["api_key"].help_text
            )


class AuditFilterForm(ListFilterForm):
    verb = forms.ChoiceField(
        label=_("Event"), required=False, choices=[("", _("All events")), *AuditEvent.Verb.choices]
    )
    actor = forms.CharField(label=_("Person"), required=False, max_length=100)
    q = None  # the log is searched by person (actor), not by free text
