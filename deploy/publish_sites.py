"""After `sam deploy`: the checkout SDK and the dashboard build go to their S3 buckets, each with a
config.js naming the real API, and CloudFront forgets what changed.

    python -m deploy.publish_sites --stack payment-gateway [--region ap-south-1]

Only changed files are uploaded (compared by MD5 with what the bucket holds). config.js and
index.html are `no-store` (the distributions do not cache them either); hashed dashboard assets are
immutable; the SDK files are cached 5 minutes, and invalidated when they change. Old hashed assets
are kept, so a page opened before the deploy still loads.
"""

from __future__ import annotations

import argparse
import hashlib
import mimetypes
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from deploy.stack_outputs import stack_outputs
from deploy.translate import ROOT
from stack.site_config import config_script

NO_STORE = "no-store"
SHORT = "public, max-age=300"
IMMUTABLE = "public, max-age=31536000, immutable"
# CloudFront bills invalidation paths past 1,000 a month; past this many, one wildcard is cheaper.
MAX_INVALIDATION_PATHS = 15


@dataclass(frozen=True)
class Sites:
    """The stack outputs publishing needs."""

    api_url: str
    checkout_url: str
    dashboard_url: str
    checkout_bucket: str
    dashboard_bucket: str
    checkout_distribution_id: str
    dashboard_distribution_id: str

    @classmethod
    def from_outputs(cls, outputs: dict[str, str]) -> Sites:
        return cls(
            api_url=outputs["ApiUrl"],
            checkout_url=outputs["CheckoutUrl"],
            dashboard_url=outputs["DashboardUrl"],
            checkout_bucket=outputs["CheckoutBucketName"],
            dashboard_bucket=outputs["DashboardBucketName"],
            checkout_distribution_id=outputs["CheckoutDistributionId"],
            dashboard_distribution_id=outputs["DashboardDistributionId"],
        )


@dataclass(frozen=True)
class SiteFile:
    key: str
    body: bytes
    cache_control: str

    @property
    def content_type(self) -> str:
        if self.key.endswith((".js", ".mjs")):
            return "application/javascript"
        return mimetypes.guess_type(self.key)[0] or "application/octet-stream"


def checkout_files(sdk: Path, sites: Sites) -> list[SiteFile]:
    """sdk/ without the local demo shop (it needs a merchant server to create its orders)."""
    files = [
        SiteFile(path.relative_to(sdk).as_posix(), path.read_bytes(), SHORT)
        for path in sorted(sdk.rglob("*"))
        if path.is_file() and path.relative_to(sdk).parts[0] != "demo"
    ]
    config = {"apiBase": sites.api_url, "checkoutOrigin": sites.checkout_url}
    return [*files, SiteFile("config.js", config_script(config), NO_STORE)]


def dashboard_files(dist: Path, sites: Sites) -> list[SiteFile]:
    if not (dist / "index.html").is_file():
        raise SystemExit(f"publish: {dist}/index.html is missing; run scripts/build-dashboard.sh first")
    files = []
    for path in sorted(dist.rglob("*")):
        if path.is_file() and path.name != "config.js":
            key = path.relative_to(dist).as_posix()
            files.append(SiteFile(key, path.read_bytes(), IMMUTABLE if key.startswith("assets/") else NO_STORE))
    # The dashboard calls the API under its own origin (/api/* on its distribution): no CORS.
    config = {"apiBase": sites.dashboard_url, "checkoutOrigin": sites.checkout_url}
    return [*files, SiteFile("config.js", config_script(config), NO_STORE)]


def upload_changed(s3: Any, bucket: str, files: list[SiteFile]) -> list[str]:
    """Uploads what differs from the bucket; returns the keys uploaded."""
    existing: dict[str, str] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            existing[item["Key"]] = item["ETag"].strip('"')
    changed = []
    for site_file in files:
        digest = hashlib.md5(site_file.body, usedforsecurity=False).hexdigest()
        if existing.get(site_file.key) == digest:
            continue
        s3.put_object(
            Bucket=bucket,
            Key=site_file.key,
            Body=site_file.body,
            ContentType=site_file.content_type,
            CacheControl=site_file.cache_control,
        )
        changed.append(site_file.key)
    return changed


def invalidate(cloudfront: Any, distribution_id: str, keys: list[str]) -> str | None:
    """Asks CloudFront to drop the changed paths; hashed assets are new names and need none."""
    paths = sorted({"/" + key for key in keys if not key.startswith("assets/")})
    if "/index.html" in paths:
        paths.append("/")
    if not paths:
        return None
    if len(paths) > MAX_INVALIDATION_PATHS:
        paths = ["/*"]
    reply = cloudfront.create_invalidation(
        DistributionId=distribution_id,
        InvalidationBatch={"Paths": {"Quantity": len(paths), "Items": paths}, "CallerReference": str(time.time_ns())},
    )
    return str(reply["Invalidation"]["Id"])


def publish(sites: Sites, s3: Any, cloudfront: Any, root: Path = ROOT) -> dict[str, Any]:
    report: dict[str, Any] = {}
    for name, bucket, distribution, files in (
        ("checkout", sites.checkout_bucket, sites.checkout_distribution_id, checkout_files(root / "sdk", sites)),
        (
            "dashboard",
            sites.dashboard_bucket,
            sites.dashboard_distribution_id,
            dashboard_files(root / "dashboard" / "dist", sites),
        ),
    ):
        changed = upload_changed(s3, bucket, files)
        report[name] = {
            "files": len(files),
            "uploaded": changed,
            "invalidation": invalidate(cloudfront, distribution, changed),
        }
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Publish the checkout SDK and the dashboard of a deployed stack")
    parser.add_argument("--stack", required=True)
    parser.add_argument("--region", default=None)
    args = parser.parse_args(argv)
    sites = Sites.from_outputs(stack_outputs(args.stack, args.region))
    report = publish(sites, boto3.client("s3", region_name=args.region), boto3.client("cloudfront"))
    for name, result in report.items():
        print(
            f"{name}: {len(result['uploaded'])} of {result['files']} files uploaded"
            + (f", invalidation {result['invalidation']}" if result["invalidation"] else "")
        )
    print(f"API        {sites.api_url}\ncheckout   {sites.checkout_url}/checkout.js\ndashboard  {sites.dashboard_url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
