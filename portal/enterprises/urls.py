from django.urls import path

from portal.enterprises import views

app_name = "enterprises"

urlpatterns = [
    path("t/<slug:team_slug>/enterprises/", views.enterprise_list, name="enterprise_list"),
]
