from django.contrib import admin
from django.urls import include, path

from portal.accounts import views as account_views

urlpatterns = [
    path("", account_views.home, name="home"),
    path("", include("portal.core.urls")),
    path("", include("portal.accounts.urls")),
    path("", include("portal.numbers.urls")),
    path("", include("portal.enterprises.urls")),
    path("", include("portal.dirs.urls")),
    path("admin/", admin.site.urls),
]
