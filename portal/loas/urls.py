from django.urls import path

from portal.loas import views

app_name = "loas"

# Under /t/<team>/dirs/<dir_pk>/ (see portal/urls.py).

urlpatterns = [
    path("numbers/add/sign/", views.add_sign, name="add_sign"),
    path("numbers/add/letter-preview.pdf", views.letter_preview, name="letter_preview"),
]
