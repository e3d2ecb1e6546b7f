"""Products and prices (one-time, 分割払い installments, 継続課金 subscription), purchase links, Stripe keys."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel, ConfigDict, Field

from haishin.api.security import current_caller, requires
from haishin.auth.permissions import Permission
from haishin.payments.models import ProductModel
from haishin.payments.products import ProductDefinition
from haishin.storage.base import iso
from haishin.wiring import services

router = APIGatewayHttpRouter()


class PurchaseLinkBody(BaseModel):
    model_config = ConfigDict(defer_build=True)  # built on first use (cold start)

    subscriber_id: str | None = None


class StripeKeysBody(BaseModel):
    """Write-only: values are stored in the secret store and only masked hints come back."""

    model_config = ConfigDict(defer_build=True)  # built on first use (cold start)

    mode: Literal["test", "live"]
    secret_key: str | None = Field(default=None, min_length=8)
    webhook_secrets: list[str] | None = None


class StripeModeBody(BaseModel):
    model_config = ConfigDict(defer_build=True)  # built on first use (cold start)

    stripe_mode: Literal["test", "live"]


def _view(product: ProductModel) -> dict[str, Any]:
    return {"product_id": product.product_id, "definition": product.definition,
            "created_at": iso(product.created_at), "updated_at": iso(product.updated_at)}


@router.get("/products")
@requires(Permission.VIEW_PAYMENTS)
def list_products() -> dict[str, Any]:
    return {"items": [_view(p) for p in services().payments.list_products(current_caller().workspace_id)]}


@router.post("/products")
@requires(Permission.MANAGE_PAYMENTS)
def create_product(body: Annotated[ProductDefinition, Body()]) -> Response:
    product = services().payments.create_product(current_caller().workspace_id, body)
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=_view(product))


@router.get("/products/<product_id>")
@requires(Permission.VIEW_PAYMENTS)
def get_product(product_id: str) -> dict[str, Any]:
    return _view(services().payments.get_product(current_caller().workspace_id, product_id))


@router.put("/products/<product_id>")
@requires(Permission.MANAGE_PAYMENTS)
def update_product(product_id: str, body: Annotated[ProductDefinition, Body()]) -> dict[str, Any]:
    return _view(services().payments.update_product(current_caller().workspace_id, product_id, body))


@router.post("/products/<product_id>/link")
@requires(Permission.MANAGE_PAYMENTS)
def purchase_link(product_id: str, body: Annotated[PurchaseLinkBody, Body()]) -> dict[str, Any]:
    return {"url": services().payments.purchase_link(current_caller().workspace_id, product_id, body.subscriber_id)}


@router.get("/payments/stripe")
@requires(Permission.VIEW_PAYMENTS)
def stripe_settings() -> dict[str, Any]:
    return services().payments.stripe_settings(current_caller().workspace_id)


@router.put("/payments/stripe/keys")
@requires(Permission.MANAGE_PAYMENTS)
def put_stripe_keys(body: Annotated[StripeKeysBody, Body()]) -> dict[str, Any]:
    ws = current_caller().workspace_id
    services().payments.keys.put(ws, body.mode, secret_key=body.secret_key, webhook_secrets=body.webhook_secrets)
    return services().payments.stripe_settings(ws)


@router.put("/payments/stripe/mode")
@requires(Permission.MANAGE_PAYMENTS)
def put_stripe_mode(body: Annotated[StripeModeBody, Body()]) -> dict[str, Any]:
    services().payments.keys.set_mode(current_caller().workspace_id, body.stripe_mode)
    return services().payments.stripe_settings(current_caller().workspace_id)
