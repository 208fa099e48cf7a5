from django.urls import path

from portal.dirs import views

app_name = "logos"

# Under /logos/, public: Telnyx fetches a DIR's logo from PORTAL_PUBLIC_URL/logos/<token>.bmp.
urlpatterns = [
    path("<uuid:token>.bmp", views.logo_serve, name="logo_serve"),
]
