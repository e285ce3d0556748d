"""Secrets Manager adapter: the database connection secret (RDS's JSON shape) as a libpq URL."""

from __future__ import annotations

import json
from functools import lru_cache
from urllib.parse import quote

import boto3

from gateway.adapters import time_bounds


@lru_cache(maxsize=8)
def secret_string(secret_arn: str) -> str:
    client = boto3.client("secretsmanager", config=time_bounds.SECRETS_MANAGER.boto_config())
    return str(client.get_secret_value(SecretId=secret_arn)["SecretString"])


def database_url_from_secret(secret_arn: str, host: str = "") -> str:
    """`host` (RDS Proxy's endpoint) replaces the secret's own host (the cluster's writer) when set.
    TLS is required unless the secret itself says otherwise (`sslmode`, for a local test secret)."""
    secret = json.loads(secret_string(secret_arn))
    user, password = quote(secret["username"], safe=""), quote(secret["password"], safe="")
    host = host or secret["host"]
    port, name = secret.get("port", 5432), secret.get("dbname", "postgres")
    sslmode = quote(str(secret.get("sslmode", "require")), safe="")
    return f"postgresql://{user}:{password}@{host}:{port}/{name}?sslmode={sslmode}"
