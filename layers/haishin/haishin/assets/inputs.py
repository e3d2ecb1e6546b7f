"""What the admin sends to upload an asset: the file as base64 in JSON (the same shape as a rich menu image)."""

from __future__ import annotations

import base64
import binascii
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from haishin.errors import ValidationFailed


class AssetUpload(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    kind: Literal["image", "attachment"]
    name: str = Field(min_length=1, max_length=200)  # the file's name as chosen (shown, and the download's name)
    base64: str = Field(min_length=1)

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        name = value.replace("\\", "/").rsplit("/", 1)[-1].strip()
        if not name or any(ord(c) < 32 for c in name):
            raise ValueError("ファイル名が正しくありません")
        return name

    def data(self) -> bytes:
        try:
            return base64.b64decode(self.base64, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationFailed("ファイルの base64 が壊れています", where="base64") from None
