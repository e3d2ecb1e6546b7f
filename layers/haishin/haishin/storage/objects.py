"""Bytes in one S3 bucket (rich menu images, uploaded assets): THE put / get / delete of objects by key.

The bucket is named by an environment variable of the function (the template's ``!Ref``); locally the runtime
creates each bucket under its logical ID in lower case, the default here. The client is built on first use, so
paths that never touch S3 never import boto3's S3 model.
"""

from __future__ import annotations

import os
from typing import Any

from haishin.errors import NotFound


class BucketObjects:
    def __init__(self, bucket_env: str, local_default: str, *, bucket: str | None = None, client: Any = None) -> None:
        self._bucket_env = bucket_env
        self._local_default = local_default
        self._bucket = bucket
        self._client = client

    @property
    def bucket(self) -> str:
        return self._bucket or os.environ.get(self._bucket_env, self._local_default)

    def _s3(self) -> Any:
        if self._client is None:
            import boto3  # noqa: PLC0415 - only the paths that store files need S3

            self._client = boto3.client(
                "s3", region_name=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
            )
        return self._client

    def put(self, key: str, content_type: str, data: bytes) -> None:
        self._s3().put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)

    def get(self, key: str, missing: NotFound) -> tuple[str, bytes]:
        """(content type, bytes) of the object; ``missing`` is raised when there is none."""
        s3 = self._s3()
        try:
            found = s3.get_object(Bucket=self.bucket, Key=key)
        except s3.exceptions.NoSuchKey as exc:
            raise missing from exc
        return str(found.get("ContentType") or "application/octet-stream"), bytes(found["Body"].read())

    def delete(self, key: str) -> None:
        self._s3().delete_object(Bucket=self.bucket, Key=key)


__all__ = ["BucketObjects"]
