from __future__ import annotations

from rest_framework import serializers

from hosting.models import CustomerRecord


class CustomerRecordSerializer(serializers.ModelSerializer):
    """A Plans database record: its ``LDAP://`` path, braced GUID and customer type."""

    path = serializers.CharField(read_only=True)
    guid = serializers.CharField(source="guid_braced", read_only=True)
    customerTypeName = serializers.CharField(source="customer_type", read_only=True)  # noqa: N815

    class Meta:
        model = CustomerRecord
        fields = ["id", "path", "guid", "customerTypeName", "name", "created_at"]


class OrganizationSerializer(serializers.Serializer):
    """An organization of the hosting tree as the directory holds it."""

    guid = serializers.CharField(read_only=True)
    path = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    parent = serializers.CharField(source="parent_path", read_only=True)
    organizationType = serializers.CharField(source="organization_type", read_only=True)  # noqa: N815
    compliant = serializers.BooleanField(read_only=True)
    processedBy = serializers.ListField(source="processed_by", child=serializers.CharField(), read_only=True)  # noqa: N815
    description = serializers.SerializerMethodField()

    def get_description(self, obj) -> str:
        return obj.first("description")


class UserSerializer(serializers.Serializer):
    """A user of the hosting tree as the directory holds it (never its password)."""

    guid = serializers.CharField(read_only=True)
    path = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    organization = serializers.CharField(source="parent_path", read_only=True)
    userPrincipalName = serializers.SerializerMethodField()  # noqa: N815
    logonName = serializers.SerializerMethodField()  # noqa: N815
    displayName = serializers.SerializerMethodField()  # noqa: N815
    givenName = serializers.SerializerMethodField()  # noqa: N815
    surname = serializers.SerializerMethodField()
    mail = serializers.SerializerMethodField()
    compliant = serializers.BooleanField(read_only=True)
    processedBy = serializers.ListField(source="processed_by", child=serializers.CharField(), read_only=True)  # noqa: N815

    def get_userPrincipalName(self, obj) -> str:  # noqa: N802
        return obj.first("userPrincipalName")

    def get_logonName(self, obj) -> str:  # noqa: N802
        return obj.first("uid")

    def get_displayName(self, obj) -> str:  # noqa: N802
        return obj.first("displayName")

    def get_givenName(self, obj) -> str:  # noqa: N802
        return obj.first("givenName")

    def get_surname(self, obj) -> str:
        return obj.first("sn")

    def get_mail(self, obj) -> str:
        return obj.first("mail")
