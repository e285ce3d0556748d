"""template.yaml → the CloudFormation template the SAM transform produces (what AWS deploys).

Local paths (CodeUri, ContentUri) become S3 placeholders, as `sam package` would make them; nothing
else is changed, so lint and the rehearsal see exactly the resources CloudFormation would create.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

import boto3
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

from stack.template import load_template

ROOT = Path(__file__).resolve().parent.parent
ARTIFACT_BUCKET = "rehearsal-artifacts"
_LOCAL_PATHS = {"AWS::Serverless::Function": "CodeUri", "AWS::Serverless::LayerVersion": "ContentUri"}


def with_packaged_artifacts(template: dict[str, Any]) -> dict[str, Any]:
    packaged = copy.deepcopy(template)
    for logical_id, resource in packaged.get("Resources", {}).items():
        key = _LOCAL_PATHS.get(resource.get("Type", ""))
        if key and isinstance(resource.get("Properties", {}).get(key), str):
            resource["Properties"][key] = f"s3://{ARTIFACT_BUCKET}/{logical_id}.zip"
    return packaged


def translate(template: dict[str, Any]) -> dict[str, Any]:
    """The SAM transform, offline: policy templates and managed policy names need no AWS call."""
    # The region only fills SAM's pseudo-parameter defaults; the output keeps ${AWS::Region}.
    session = boto3.Session(region_name="us-east-1")
    translator = Translator(managed_policy_map={}, sam_parser=Parser(), boto_session=session)
    translated: dict[str, Any] = translator.translate(
        with_packaged_artifacts(template), parameter_values={}, get_managed_policy_map=lambda: {}
    )
    return translated


def translate_file(path: Path = ROOT / "template.yaml") -> dict[str, Any]:
    return translate(load_template(path))


if __name__ == "__main__":
    json.dump(translate_file(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "template.yaml"), sys.stdout, indent=1)
