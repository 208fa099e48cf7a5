from django.urls import path

from portal.dirs import views

app_name = "dirs"

# --- List and compose: create, edit, logo, documents, submit, delete

urlpatterns = [
    path("t/<slug:team_slug>/dirs/", views.dir_list, name="dir_list"),
    path("t/<slug:team_slug>/dirs/new/", views.dir_create, name="dir_create"),
    path("t/<slug:team_slug>/dirs/<int:pk>/edit/", views.dir_edit, name="dir_edit"),
    path("t/<slug:team_slug>/dirs/<int:pk>/submit/", views.dir_submit, name="dir_submit"),
    path("t/<slug:team_slug>/dirs/<int:pk>/delete/", views.dir_delete, name="dir_delete"),
    path("t/<slug:team_slug>/dirs/<int:pk>/documents/", views.dir_document_add, name="dir_document_add"),
    path("t/<slug:team_slug>/dirs/logo/", views.logo_upload, name="logo_upload"),
    path("t/<slug:team_slug>/dirs/call-reasons/check/", views.call_reasons_check, name="call_reasons_check"),
    # Public: Telnyx fetches logos from here (PORTAL_PUBLIC_URL/logos/<token>.bmp).
    path("logos/<uuid:token>.bmp", views.logo_serve, name="logo_serve"),
]

# --- Detail page: status, comments, claims

urlpatterns += [
    path("t/<slug:team_slug>/dirs/<int:pk>/", views.dir_detail, name="dir_detail"),
    path("t/<slug:team_slug>/dirs/<int:pk>/status/", views.dir_status, name="dir_status"),
    path("t/<slug:team_slug>/dirs/<int:pk>/comments/", views.dir_comments, name="dir_comments"),
    path(
        "t/<slug:team_slug>/dirs/<int:pk>/comments/new/", views.dir_comment_create, name="dir_comment_create"
    ),
    path("t/<slug:team_slug>/dirs/<int:pk>/claims/", views.dir_claims, name="dir_claims"),
    path(
        "t/<slug:team_slug>/dirs/<int:pk>/claims/<uuid:claim_id>/contest/",
        views.dir_claim_contest,
        name="dir_claim_contest",
    ),
]
