"""Shared code of the payment gateway: models, domain logic and adapters (the Lambda layer)."""
