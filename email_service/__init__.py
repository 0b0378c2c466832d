"""The hosted e-mail service: plans, subscriptions, SMTP domains and user plans."""
