"""Pages of the email_service app."""

from django.urls import path

from email_service import views

app_name = "email_service"
urlpatterns = [
    path("", views.index, name="index"),
    path("plans/", views.plans_page, name="plans"),
    path("subscriptions/", views.subscriptions_page, name="subscriptions"),
    path("organization/", views.organization_page, name="organization"),
]
