"""Paging of the REST door's lists: ``limit`` and ``offset`` checked, never silently corrected."""

from __future__ import annotations

from rest_framework.pagination import LimitOffsetPagination

from portal.errors import InvalidArgument

MAX_LIMIT = 1000
MAX_OFFSET = 2**31 - 1


class CheckedLimitOffsetPagination(LimitOffsetPagination):
    """Limit/offset pages; a ``limit`` that is not a whole number from 1 to :data:`MAX_LIMIT`, or
    an ``offset`` that is not one from 0 to :data:`MAX_OFFSET`, is a 400 naming the parameter."""

    max_limit = MAX_LIMIT

    def _number(self, request, name: str, low: int, high: int) -> int | None:
        text = request.query_params.get(name)
        if text is None or text == "":
            return None
        if not text.isascii() or not text.isdigit() or len(text) > 10 or not low <= int(text) <= high:
            raise InvalidArgument(f"{name}: must be a whole number from {low} to {high}.", field=name)
        return int(text)

    def get_limit(self, request):
        limit = self._number(request, self.limit_query_param, 1, MAX_LIMIT)
        return self.default_limit if limit is None else limit

    def get_offset(self, request):
        offset = self._number(request, self.offset_query_param, 0, MAX_OFFSET)
        return 0 if offset is None else offset

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        bounds = {self.limit_query_param: (1, MAX_LIMIT), self.offset_query_param: (0, MAX_OFFSET)}
        for parameter in parameters:
            low, high = bounds.get(parameter["name"], (None, None))
            if low is not None:
                parameter["schema"] = {**parameter["schema"], "minimum": low, "maximum": high}
        return parameters
