from django.urls import path

from portal.numbers import views

app_name = "numbers"

urlpatterns = [
    path("webhooks/telnyx/<int:account_id>/", views.telnyx_webhook, name="telnyx_webhook"),
]
