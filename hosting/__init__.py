"""The hosting-tree layer that every app stands on: the Plans database (customer records), the
hosting prescription and its checks, the naming and password policy, and the scoped lookups of
organizations and users. It imports no app above it."""
