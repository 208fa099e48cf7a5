from django.urls import path

from portal.dirs import views

app_name = "dirs"

urlpatterns = [
    path("t/<slug:team_slug>/dirs/", views.dir_list, name="dir_list"),
]
