"""Expand template.yaml's SAM resources into the CloudFormation that a deploy creates, offline, for the policy scanner.

Run with the SAM virtualenv's interpreter (it has samtranslator): ``.venv-sam/bin/python scripts/sam-transform.py
template.yaml OUT.json``. Local CodeUri/ContentUri become placeholder S3 URIs (as ``sam validate`` does), so no
bucket or credentials are needed; a template the service-side transform would reject fails here too.

SAM drops a resource's ``Metadata`` when it expands it. The checkov skips written on a SAM resource
(``Metadata: checkov: skip: [...]``) are carried over to the resources generated from it (the function, its role,
event source mappings, the API's stage...), so a reason is written once, next to the resource it is about.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import boto3
from samtranslator.parser import parser
from samtranslator.translator.translator import Translator
from samtranslator.yaml_helper import yaml_parse

SAM = "AWS::Serverless::"
REGION = os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"  # only fills in ${AWS::Region} in the output
CODE_KEYS = {"AWS::Serverless::Function": "CodeUri", "AWS::Serverless::LayerVersion": "ContentUri"}


def transform(source: dict[str, Any]) -> dict[str, Any]:
    for resource in source.get("Resources", {}).values():
        key = CODE_KEYS.get(resource.get("Type", ""))
        props = resource.get("Properties") or {}
        if key and isinstance(props.get(key), str) and not props[key].startswith("s3://"):
            props[key] = "s3://placeholder-bucket/placeholder.zip"
    resources = source.get("Resources", {})
    skips = {logical_id: resource["Metadata"]["checkov"] for logical_id, resource in resources.items()
             if str(resource.get("Type", "")).startswith(SAM) and "checkov" in (resource.get("Metadata") or {})}
    own = {logical_id for logical_id, r in resources.items() if not str(r.get("Type", "")).startswith(SAM)}
    translator = Translator(managed_policy_map=None, sam_parser=parser.Parser(), plugins=[],
                            boto_session=boto3.Session(region_name=REGION))
    out: dict[str, Any] = translator.translate(sam_template=source, parameter_values={},
                                               get_managed_policy_map=lambda: {})
    for logical_id, resource in out["Resources"].items():
        if logical_id in own:
            continue  # written in template.yaml as plain CloudFormation: it carries its own Metadata
        owner = max((s for s in skips if logical_id.startswith(s)), key=len, default=None)
        if owner is not None:
            resource.setdefault("Metadata", {})["checkov"] = skips[owner]
    return out


def main() -> int:
    src, dest = sys.argv[1], sys.argv[2]
    with open(src, encoding="utf-8") as fh:
        source = yaml_parse(fh.read())
    out = transform(source)
    os.makedirs(os.path.dirname(os.path.abspath(dest)), exist_ok=True)
    with open(dest, "w", encoding="utf-8") as fh:
        json.dump(out, fh, indent=1, sort_keys=False)
    print(f"sam-transform: {len(out['Resources'])} CloudFormation resources -> {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
