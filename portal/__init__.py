"""The hosting provisioning and billing portal: shared parts (settings, engine, directory, doors)."""
