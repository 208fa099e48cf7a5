from django.urls import path

from portal.enterprises import views

app_name = "enterprises"

# Under /t/<team>/enterprises/ (see portal/urls.py).

urlpatterns = [
    path("", views.enterprise_list, name="enterprise_list"),
    path("new/", views.enterprise_create, name="enterprise_create"),
    path("<int:pk>/", views.enterprise_detail, name="enterprise_detail"),
    path("<int:pk>/edit/", views.enterprise_update, name="enterprise_update"),
    path("<int:pk>/delete/", views.enterprise_delete, name="enterprise_delete"),
    path("<int:pk>/branded-calling/", views.enterprise_activation, name="enterprise_activation"),
    path("<int:pk>/branded-calling/terms/", views.enterprise_tos_agree, name="enterprise_tos_agree"),
    path("<int:pk>/branded-calling/activate/", views.enterprise_activate, name="enterprise_activate"),
]
