from django.urls import path

from portal.enterprises import views

app_name = "enterprises"

urlpatterns = [
    path("t/<slug:team_slug>/enterprises/", views.enterprise_list, name="enterprise_list"),
    path("t/<slug:team_slug>/enterprises/new/", views.enterprise_create, name="enterprise_create"),
    path("t/<slug:team_slug>/enterprises/<int:pk>/", views.enterprise_detail, name="enterprise_detail"),
    path("t/<slug:team_slug>/enterprises/<int:pk>/edit/", views.enterprise_update, name="enterprise_update"),
    path(
        "t/<slug:team_slug>/enterprises/<int:pk>/delete/", views.enterprise_delete, name="enterprise_delete"
    ),
    path(
        "t/<slug:team_slug>/enterprises/<int:pk>/branded-calling/",
        views.enterprise_activation,
        name="enterprise_activation",
    ),
    path(
        "t/<slug:team_slug>/enterprises/<int:pk>/branded-calling/terms/",
        views.enterprise_tos_agree,
        name="enterprise_tos_agree",
    ),
    path(
        "t/<slug:team_slug>/enterprises/<int:pk>/branded-calling/activate/",
        views.enterprise_activate,
        name="enterprise_activate",
    ),
]
