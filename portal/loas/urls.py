from django.urls import path

from portal.loas import views

app_name = "loas"

# Under /t/<team>/ (see portal/urls.py).

# --- Sign here (the add page)
urlpatterns = [
    path("dirs/<int:dir_pk>/numbers/add/sign/", views.add_sign, name="add_sign"),
    path("dirs/<int:dir_pk>/numbers/add/letter-preview.pdf", views.letter_preview, name="letter_preview"),
]

# --- The LOA register
urlpatterns += [
    path("loas/", views.ceremony_list, name="ceremony_list"),
    path("loas/export.csv", views.ceremony_export, name="ceremony_export"),
    path("loas/verify/", views.certificate_verify, name="certificate_verify"),
    path("loas/<int:pk>/", views.ceremony_detail, name="ceremony_detail"),
    path("loas/<int:pk>/letters.zip", views.letters_zip, name="letters_zip"),
    path("loas/<int:pk>/certificate.pdf", views.certificate_download, name="certificate_download"),
    path("loas/letters/<int:pk>.pdf", views.letter_download, name="letter_download"),
]
