from django.urls import path

from portal.numbers import views

app_name = "numbers"

urlpatterns = [
    path("webhooks/telnyx/<int:account_id>/", views.telnyx_webhook, name="telnyx_webhook"),
    path("t/<slug:team_slug>/sync/", views.sync_now, name="sync_now"),
    path("t/<slug:team_slug>/sync/status/", views.sync_status, name="sync_status"),
]

# --- Numbers and batches pages, removal

urlpatterns += [
    path("t/<slug:team_slug>/dirs/<int:dir_pk>/numbers/", views.number_list, name="number_list"),
    path(
        "t/<slug:team_slug>/dirs/<int:dir_pk>/numbers/export.csv", views.number_export, name="number_export"
    ),
    path("t/<slug:team_slug>/dirs/<int:dir_pk>/numbers/remove/", views.number_remove, name="number_remove"),
    path(
        "t/<slug:team_slug>/dirs/<int:dir_pk>/numbers/removals/<int:pk>/",
        views.removal_status,
        name="removal_status",
    ),
    path("t/<slug:team_slug>/dirs/<int:dir_pk>/batches/", views.batch_list, name="batch_list"),
    path("t/<slug:team_slug>/dirs/<int:dir_pk>/batches/<int:pk>/", views.batch_detail, name="batch_detail"),
]

# --- Add flow

urlpatterns += [
    path("t/<slug:team_slug>/dirs/<int:dir_pk>/numbers/add/", views.number_add, name="number_add"),
    path(
        "t/<slug:team_slug>/dirs/<int:dir_pk>/numbers/add/check/",
        views.number_add_check,
        name="number_add_check",
    ),
    path(
        "t/<slug:team_slug>/dirs/<int:dir_pk>/numbers/add/document/",
        views.number_add_document,
        name="number_add_document",
    ),
    path(
        "t/<slug:team_slug>/dirs/<int:dir_pk>/numbers/add/submit/",
        views.number_add_submit,
        name="number_add_submit",
    ),
    path(
        "t/<slug:team_slug>/dirs/<int:dir_pk>/numbers/add/progress/",
        views.number_add_progress,
        name="number_add_progress",
    ),
    path(
        "t/<slug:team_slug>/dirs/<int:dir_pk>/numbers/add/resubmit/",
        views.number_add_resubmit,
        name="number_add_resubmit",
    ),
    path(
        "t/<slug:team_slug>/dirs/<int:dir_pk>/numbers/add/inventory/",
        views.number_add_inventory,
        name="number_add_inventory",
    ),
]
