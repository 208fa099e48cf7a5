from django.urls import path

from portal.sync import views

app_name = "sync"

# Under /t/<team>/sync/ (see portal/urls.py).
urlpatterns = [
    path("", views.sync_now, name="sync_now"),
    path("status/", views.sync_status, name="sync_status"),
]
