"""The provisioning app keeps no rows of its own: the Plans database it writes lives in the
hosting-tree layer (:mod:`hosting.models`), which every app reads."""
