from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy

from portal.accounts import views
from portal.accounts.forms import ResetPasswordForm, ResetRequestForm

app_name = "accounts"

_reset = {
    "password_reset": auth_views.PasswordResetView.as_view(
        template_name="accounts/password_reset.html",
        form_class=ResetRequestForm,
        email_template_name="accounts/email/password_reset.txt",
        subject_template_name="accounts/email/password_reset_subject.txt",
        success_url=reverse_lazy("accounts:password_reset_done"),
    ),
    "password_reset_done": auth_views.PasswordResetDoneView.as_view(
        template_name="accounts/password_reset_done.html"
    ),
    "password_reset_confirm": auth_views.PasswordResetConfirmView.as_view(
        template_name="accounts/password_reset_confirm.html",
        form_class=ResetPasswordForm,
        success_url=reverse_lazy("accounts:password_reset_complete"),
    ),
    "password_reset_complete": auth_views.PasswordResetCompleteView.as_view(
        template_name="accounts/password_reset_complete.html"
    ),
}

settings_patterns = [
    path("members/", views.member_list, name="member_list"),
    path("members/invite/", views.invitation_create, name="invitation_create"),
    path("invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("members/<int:pk>/role/", views.member_role, name="member_role"),
    path("members/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path("telnyx/", views.telnyx_account, name="telnyx_account"),
    path("telnyx/delete/", views.telnyx_account_delete, name="telnyx_account_delete"),
    path("activity/", views.audit_list, name="audit_list"),
]

urlpatterns = [
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("account/password/", views.password_change, name="password_change"),
    path("password-reset/", _reset["password_reset"], name="password_reset"),
    path("password-reset/sent/", _reset["password_reset_done"], name="password_reset_done"),
    path("password-reset/<uidb64>/<token>/", _reset["password_reset_confirm"], name="password_reset_confirm"),
    path("password-reset/done/", _reset["password_reset_complete"], name="password_reset_complete"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("teams/", views.team_list, name="team_list"),
    path("teams/new/", views.team_create, name="team_create"),
    # A team's settings: members, invitations, the Telnyx account, the activity log.
    path("t/<slug:team_slug>/settings/", include(settings_patterns)),
]
