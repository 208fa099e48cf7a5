from django.urls import path

from portal.dashboard import views

app_name = "dashboard"

# Under /t/<team>/ (see portal/urls.py).
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]
