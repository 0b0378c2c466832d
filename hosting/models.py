"""The Plans database: customer records of organizations and users of the hosting tree."""

from __future__ import annotations

from django.conf import settings
from django.db import connections, models, router

from portal.directory import guid_braced
from portal.models import DirectoryLinked


class CustomerType(models.TextChoices):
    """The Plans database customer types (seed: EnableCustomerForPlans, ``customerTypeName``)."""

    BUSINESS_USER = "BusinessUser"
    CONSUMER_USER = "ConsumerUser"
    BUSINESS_ORGANIZATION = "BusinessOrganization"
    RESELLER_ORGANIZATION = "ResellerOrganization"


USER_TYPES = (CustomerType.BUSINESS_USER, CustomerType.CONSUMER_USER)
ORGANIZATION_TYPES = (CustomerType.BUSINESS_ORGANIZATION, CustomerType.RESELLER_ORGANIZATION)


_LOCKED_BY_GUID: dict[tuple[str, str, bool], tuple[str, list]] = {}


class CustomerRecord(DirectoryLinked):
    """A customer record of the Plans database: one directory object, by GUID, with its type.

    The GUID identifies the object for good: the record outlives the directory entry (an orphaned
    organization is still found by GUID). ``dn`` is where the object was when last seen;
    ``dn_key`` is its normalized form for case-insensitive lookups and scope filters. One record
    per GUID (a database constraint).
    """

    guid = models.UUIDField(unique=True)
    customer_type = models.CharField(max_length=32, choices=CustomerType.choices)
    dn = models.CharField("distinguished name", max_length=1024)
    name = models.CharField(max_length=256)
    organization_guid = models.UUIDField(
        null=True, blank=True, help_text="GUID of the organization that holds the object."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["dn_key"]
        # the table keeps the name it had when the Plans database lived in the customers app
        db_table = "customers_customerrecord"

    def __str__(self) -> str:
        return f"{self.name} ({self.customer_type})"

    @classmethod
    def locked_by_guid(cls, guid, *, lock: bool = True) -> CustomerRecord | None:
        """The record of ``guid``, locked until the transaction ends where the database locks rows
        (``SELECT … FOR UPDATE``), or None: what ``select_for_update().filter(guid=…).first()``
        answers, through a statement written once instead of the ORM's compiler (every repeated
        registration asks it). ``lock=False``: the same read without the row lock."""
        connection = connections[router.db_for_write(cls)]
        meta = cls._meta
        key = (connection.alias, connection.vendor, lock)
        prepared = _LOCKED_BY_GUID.get(key)
        if prepared is None:
            quote = connection.ops.quote_name
            columns = ", ".join(quote(field.column) for field in meta.concrete_fields)
            # only quoted table and column names go into the text; the GUID is a parameter
            sql = f"SELECT {columns} FROM {quote(meta.db_table)} WHERE {quote(meta.get_field('guid').column)} = %s"  # noqa: S608, E501
            if lock and connection.features.has_select_for_update:
                sql += " FOR UPDATE"
            # each value as the ORM reads it: the backend's converters, then the field's own
            converters = []
            for model_field in meta.concrete_fields:
                column = model_field.get_col(meta.db_table)
                found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
                converters.append((column, found))
            prepared = _LOCKED_BY_GUID[key] = (sql, converters)
        sql, converters = prepared
        guid = meta.get_field("guid").get_db_prep_value(guid, connection)
        with connection.cursor() as cursor:
            cursor.execute(sql, [guid])
            row = cursor.fetchone()
        if row is None:
            return None
        values = []
        for (column, found), value in zip(converters, row, strict=True):
            for convert in found:
                value = convert(value, column, connection)
            values.append(value)
        return cls.from_db(connection.alias, [f.attname for f in meta.concrete_fields], values)

    @property
    def guid_braced(self) -> str:
        """``{xxxxxxxx-...}``."""
        return guid_braced(self.guid)

    @property
    def is_organization(self) -> bool:
        return self.customer_type in ORGANIZATION_TYPES
