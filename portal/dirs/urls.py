from django.urls import path

from portal.dirs import views

app_name = "dirs"

# Under /t/<team>/dirs/ (see portal/urls.py); the public logo address is in logo_urls.py.

# --- List and compose: create, edit, logo, documents, submit, delete

urlpatterns = [
    path("", views.dir_list, name="dir_list"),
    path("new/", views.dir_create, name="dir_create"),
    path("<int:pk>/edit/", views.dir_edit, name="dir_edit"),
    path("<int:pk>/submit/", views.dir_submit, name="dir_submit"),
    path("<int:pk>/delete/", views.dir_delete, name="dir_delete"),
    path("<int:pk>/documents/", views.dir_document_add, name="dir_document_add"),
    path("logo/", views.logo_upload, name="logo_upload"),
    path("call-reasons/check/", views.call_reasons_check, name="call_reasons_check"),
]

# --- Detail page: status, comments, claims

urlpatterns += [
    path("<int:pk>/", views.dir_detail, name="dir_detail"),
    path("<int:pk>/status/", views.dir_status, name="dir_status"),
    path("<int:pk>/comments/", views.dir_comments, name="dir_comments"),
    path("<int:pk>/comments/new/", views.dir_comment_create, name="dir_comment_create"),
    path("<int:pk>/claims/", views.dir_claims, name="dir_claims"),
    path("<int:pk>/claims/<uuid:claim_id>/contest/", views.dir_claim_contest, name="dir_claim_contest"),
]
