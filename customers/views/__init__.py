"""Provisioning pages: organizations and users inside the caller's scope.

A door like the others: reads come from the scoped selectors, every change is one procedure run
through ``portal.pages.form_submit``; the engine decides what the caller may do.
"""

from customers.views.imports import import_page
from customers.views.organizations import (
    organization_create_page,
    organization_delete_page,
    organization_enable_page,
    organization_list_page,
    organization_page,
)
from customers.views.users import (
    user_administrator_page,
    user_create_page,
    user_delete_page,
    user_list_page,
    user_page,
)

__all__ = [
    "import_page",
    "organization_create_page",
    "organization_delete_page",
    "organization_enable_page",
    "organization_list_page",
    "organization_page",
    "user_administrator_page",
    "user_create_page",
    "user_delete_page",
    "user_list_page",
    "user_page",
]
