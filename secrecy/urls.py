from secrecy import views

app_name = "secrecy"

urlpatterns = views.urlpatterns
