"""The MPS XML door: Microsoft Provisioning System requests over HTTP."""
