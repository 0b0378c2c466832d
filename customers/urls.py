"""Pages of the customers app: organizations and users of the hosting tree."""

from django.urls import path

from customers import views

app_name = "customers"
urlpatterns = [
    path("", views.organization_list_page, name="organizations"),
    path("new/", views.organization_create_page, name="organization_create"),
    path("<uuid:guid>/", views.organization_page, name="organization"),
    path("<uuid:guid>/enable/", views.organization_enable_page, name="organization_enable"),
    path("<uuid:guid>/delete/", views.organization_delete_page, name="organization_delete"),
    path("<uuid:guid>/users/new/", views.user_create_page, name="user_create"),
    path("users/", views.user_list_page, name="users"),
    path("users/<uuid:guid>/", views.user_page, name="user"),
    path("users/<uuid:guid>/delete/", views.user_delete_page, name="user_delete"),
    path("users/<uuid:guid>/administrator/", views.user_administrator_page, name="user_administrator"),
    path("import/", views.import_page, name="import"),
]
