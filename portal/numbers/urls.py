from django.urls import path

from portal.numbers import views

app_name = "numbers"

urlpatterns = [
    path("webhooks/telnyx/<int:account_id>/", views.telnyx_webhook, name="telnyx_webhook"),
    path("t/<slug:team_slug>/sync/", views.sync_now, name="sync_now"),
    path("t/<slug:team_slug>/sync/status/", views.sync_status, name="sync_status"),
]
