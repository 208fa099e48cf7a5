from django.urls import path

from portal.sync import views

app_name = "webhooks"

# Under /webhooks/, public: each DIR's webhook_url points here, so the path must never change.
urlpatterns = [
    path("telnyx/<int:account_id>/", views.telnyx_webhook, name="telnyx"),
]
