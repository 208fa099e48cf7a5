from django.urls import path

from portal.numbers import views

app_name = "numbers"

# Under /t/<team>/dirs/<dir_pk>/ (see portal/urls.py).

# --- Numbers and batches pages, removal

urlpatterns = [
    path("numbers/", views.number_list, name="number_list"),
    path("numbers/export.csv", views.number_export, name="number_export"),
    path("numbers/remove/", views.number_remove, name="number_remove"),
    path("numbers/removals/<int:pk>/", views.removal_status, name="removal_status"),
    path("batches/", views.batch_list, name="batch_list"),
    path("batches/<int:pk>/", views.batch_detail, name="batch_detail"),
]

# --- Add flow

urlpatterns += [
    path("numbers/add/", views.number_add, name="number_add"),
    path("numbers/add/check/", views.number_add_check, name="number_add_check"),
    path("numbers/add/checks/<uuid:check_pk>.csv", views.number_add_flagged, name="number_add_flagged"),
    path("numbers/add/sample.csv", views.number_add_sample, name="number_add_sample"),
    path("numbers/add/document/", views.number_add_document, name="number_add_document"),
    path("numbers/add/submit/", views.number_add_submit, name="number_add_submit"),
    path("numbers/add/progress/", views.number_add_progress, name="number_add_progress"),
    path("numbers/add/resubmit/", views.number_add_resubmit, name="number_add_resubmit"),
    path("numbers/add/stop/", views.number_add_stop, name="number_add_stop"),
    path("numbers/add/inventory/", views.number_add_inventory, name="number_add_inventory"),
]
