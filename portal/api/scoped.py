"""The base of every read-only REST resource: rows come from a selector, already filtered by the
caller's scope; writes go through ``/api/procedures/``.

A resource is a declaration (as NetBox's viewsets are)::

    class SubscriptionViewSet(ScopedViewSet):
        queryset = Subscription.objects.none()  # the model, for the schema
        serializer_class = SubscriptionSerializer
        selector = subscription_list           # (caller, **filters) -> rows in scope

``filters`` names query parameters handed to the selector (empty ones as None); ``getter`` finds
one row by its lookup value for resources whose rows are not database rows (the directory's).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from rest_framework import viewsets
from rest_framework.exceptions import NotFound

from portal.engine import Caller
from portal.errors import InvalidArgument


class ScopedViewSet(viewsets.ReadOnlyModelViewSet):
    """A read-only resource in the caller's scope (see the module's description)."""

    filter_backends: ClassVar[list] = []
    selector: ClassVar[Callable[..., Any] | None] = None
    getter: ClassVar[Callable[[Caller, str], Any] | None] = None
    filters: ClassVar[tuple[str, ...]] = ()
    #: the text of the 404 of ``getter`` resources, with ``{value}`` for the lookup value
    not_found: ClassVar[str] = "Not found in your scope."

    @property
    def caller(self) -> Caller:
        """The engine caller of the request's user."""
        return Caller.from_user(self.request.user)

    def get_queryset(self):
        params = {name: self.request.query_params.get(name) or None for name in self.filters}
        return type(self).selector(self.caller, **params)

    def get_object(self):
        getter = type(self).getter
        if getter is None:
            return super().get_object()
        value = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        try:
            found = getter(self.caller, value)
        except InvalidArgument:
            found = None
        if found is None:
            raise NotFound(self.not_found.format(value=value))
        self.check_object_permissions(self.request, found)
        return found
