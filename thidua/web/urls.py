from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("dot/<slug:code>/", views.campaign_detail, name="campaign_detail"),
]
