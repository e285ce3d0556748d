"""Pydantic models at the boundaries (API bodies and replies, SQS messages, operator and deploy
events), one module per aggregate. Nothing is re-exported here: a function that imports
`gateway.models.jobs` defines only the job messages, not every API model (cold start)."""
