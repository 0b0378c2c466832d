"""The Plans database of customer records and the provisioning of the hosting tree."""
