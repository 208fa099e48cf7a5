from django.urls import path

from portal.core import views

app_name = "core"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("t/<slug:team_slug>/", views.dashboard, name="dashboard"),
    path("t/<slug:team_slug>/settings/activity/", views.audit_list, name="audit_list"),
]
