"""Publishing the static sites after a deploy, against a real S3 and CloudFront API over HTTP (the
embedded emulator): what is uploaded, with which headers, and what CloudFront is told to forget."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from deploy.publish_sites import IMMUTABLE, NO_STORE, SHORT, Sites, publish
from tests.support import ROOT


def distribution(cloudfront: Any, bucket: str) -> str:
    config = {
        "CallerReference": uuid.uuid4().hex,
        "Comment": "",
        "Enabled": True,
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": "site",
                    "DomainName": f"{bucket}.s3.amazonaws.com",
                    "S3OriginConfig": {"OriginAccessIdentity": ""},
                }
            ],
        },
        "DefaultCacheBehavior": {"TargetOriginId": "site", "ViewerProtocolPolicy": "redirect-to-https"},
    }
    return str(cloudfront.create_distribution(DistributionConfig=config)["Distribution"]["Id"])


@pytest.fixture
def site_root(tmp_path: Path) -> Path:
    """The real sdk/ and a small dashboard build (the real build is the dashboard tests' business)."""
    shutil.copytree(ROOT / "sdk", tmp_path / "sdk")
    dist = tmp_path / "dashboard" / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text('<script type="module" src="/config.js"></script>')
    (dist / "assets" / "index-1a2b3c.js").write_text("console.log(1)")
    return tmp_path


@pytest.fixture
def aws(aws_endpoint: str) -> tuple[Any, Any, Sites]:
    s3 = boto3.client("s3", endpoint_url=aws_endpoint)
    cloudfront = boto3.client("cloudfront", endpoint_url=aws_endpoint)
    suffix = uuid.uuid4().hex[:8]
    checkout, dashboard = f"checkout-{suffix}", f"dashboard-{suffix}"
    for bucket in (checkout, dashboard):
        s3.create_bucket(Bucket=bucket)
    sites = Sites(
        api_url="https://abc123.execute-api.ap-south-1.amazonaws.com",
        checkout_url="https://d1checkout.cloudfront.net",
        dashboard_url="https://d2dashboard.cloudfront.net",
        checkout_bucket=checkout,
        dashboard_bucket=dashboard,
        checkout_distribution_id=distribution(cloudfront, checkout),
        dashboard_distribution_id=distribution(cloudfront, dashboard),
    )
    return s3, cloudfront, sites


def invalidated_paths(cloudfront: Any, distribution_id: str, invalidation_id: str) -> list[str]:
    reply = cloudfront.get_invalidation(DistributionId=distribution_id, Id=invalidation_id)
    return sorted(reply["Invalidation"]["InvalidationBatch"]["Paths"]["Items"])


def test_first_publish_uploads_both_sites_with_config_and_cache_headers(
    aws: tuple[Any, Any, Sites], site_root: Path
) -> None:
    s3, cloudfront, sites = aws
    report = publish(sites, s3, cloudfront, site_root)

    checkout_keys = {item["Key"] for item in s3.list_objects_v2(Bucket=sites.checkout_bucket)["Contents"]}
    assert checkout_keys == {
        "checkout.js",
        "checkout.mjs",
        "checkout/index.html",
        "checkout/checkout-page.js",
        "checkout/checkout.css",
        "config.js",
    }  # the local demo shop is not published
    config = s3.get_object(Bucket=sites.checkout_bucket, Key="config.js")
    assert config["CacheControl"] == NO_STORE and config["ContentType"] == "application/javascript"
    assert b'"apiBase": "https://abc123.execute-api.ap-south-1.amazonaws.com"' in config["Body"].read()
    sdk = s3.head_object(Bucket=sites.checkout_bucket, Key="checkout.js")
    assert sdk["CacheControl"] == SHORT and sdk["ContentType"] == "application/javascript"
    assert s3.head_object(Bucket=sites.checkout_bucket, Key="checkout/checkout.css")["ContentType"] == "text/css"

    dashboard_config = s3.get_object(Bucket=sites.dashboard_bucket, Key="config.js")["Body"].read()
    # The dashboard talks to the API through its own origin.
    assert b'"apiBase": "https://d2dashboard.cloudfront.net"' in dashboard_config
    assert s3.head_object(Bucket=sites.dashboard_bucket, Key="index.html")["CacheControl"] == NO_STORE
    asset = s3.head_object(Bucket=sites.dashboard_bucket, Key="assets/index-1a2b3c.js")
    assert asset["CacheControl"] == IMMUTABLE

    assert invalidated_paths(cloudfront, sites.dashboard_distribution_id, report["dashboard"]["invalidation"]) == [
        "/",
        "/config.js",
        "/index.html",
    ]


def test_a_republish_uploads_and_invalidates_only_what_changed(aws: tuple[Any, Any, Sites], site_root: Path) -> None:
    s3, cloudfront, sites = aws
    publish(sites, s3, cloudfront, site_root)
    # Nothing changed: nothing goes up, CloudFront is not bothered.
    unchanged = publish(sites, s3, cloudfront, site_root)
    assert unchanged["checkout"] == {"files": 6, "uploaded": [], "invalidation": None}
    assert unchanged["dashboard"]["uploaded"] == [] and unchanged["dashboard"]["invalidation"] is None

    # A new SDK release and a new dashboard build (a new hashed asset, a new index.html)...
    (site_root / "sdk" / "checkout.js").write_text("/* v2 */")
    dist = site_root / "dashboard" / "dist"
    (dist / "assets" / "index-4d5e6f.js").write_text("console.log(2)")
    (dist / "index.html").write_text('<script type="module" src="/assets/index-4d5e6f.js"></script>')
    report = publish(sites, s3, cloudfront, site_root)
    assert report["checkout"]["uploaded"] == ["checkout.js"]
    assert invalidated_paths(cloudfront, sites.checkout_distribution_id, report["checkout"]["invalidation"]) == [
        "/checkout.js"
    ]
    assert sorted(report["dashboard"]["uploaded"]) == ["assets/index-4d5e6f.js", "index.html"]
    assert invalidated_paths(cloudfront, sites.dashboard_distribution_id, report["dashboard"]["invalidation"]) == [
        "/",
        "/index.html",
    ]
    # The old asset stays for pages opened before the deploy.
    s3.head_object(Bucket=sites.dashboard_bucket, Key="assets/index-1a2b3c.js")
