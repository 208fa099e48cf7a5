"""The site map: each app under its own prefix."""

from django.contrib import admin
from django.urls import include, path

from portal.accounts import views as account_views

TEAM = "t/<slug:team_slug>/"

urlpatterns = [
    path("", account_views.home, name="home"),
    # Public, no sign-in: the health check, the logos Telnyx fetches, the webhooks Telnyx sends.
    path("", include("portal.core.urls")),
    path("logos/", include("portal.dirs.logo_urls")),
    path("webhooks/", include("portal.sync.webhook_urls")),
    # Sign-in, password, invitations, the team list, and each team's settings (/t/<team>/settings/).
    path("", include("portal.accounts.urls")),
    # A team's pages.
    path(TEAM, include("portal.dashboard.urls")),
    path(f"{TEAM}enterprises/", include("portal.enterprises.urls")),
    path(f"{TEAM}dirs/", include("portal.dirs.urls")),
    path(f"{TEAM}dirs/<int:dir_pk>/", include("portal.numbers.urls")),  # numbers/, batches/
    path(TEAM, include("portal.loas.urls")),  # loas/ (the register), dirs/<pk>/numbers/add/sign/
    path(f"{TEAM}sync/", include("portal.sync.urls")),
    path("admin/", admin.site.urls),
]
