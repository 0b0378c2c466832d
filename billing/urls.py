"""Pages of the billing app."""

from django.urls import path

from billing import views

app_name = "billing"
urlpatterns = [
    path("", views.index, name="index"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("bill-run/", views.bill_run, name="bill-run"),
    path("dunning/", views.dunning, name="dunning"),
    path("accounts/<str:username>/", views.account, name="account"),
    path("accounts/<str:username>/invoices/<int:invoice_id>/", views.invoice, name="invoice"),
    path(
        "accounts/<str:username>/invoices/<int:invoice_id>/pdf",
        views.invoice_pdf_download,
        name="invoice-pdf",
    ),
]
