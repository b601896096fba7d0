"""/api/v1/collection-requests: anyone holding a loaned item asks for its collection, without
an account. The answer is the same whether or not the item matched."""

from __future__ import annotations

from flask import current_app
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from equipment.orders import collection_requests
from equipment.orders.intake import OrderSettings
from equipment.schemas import Problem, Strict
from equipment.web import collection_limits
from equipment.web.access import public
from equipment.web.database import get_db
from equipment.web.problems import problem

bp = APIBlueprint("api_collection_requests", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="collections")])


class CollectionRequestIn(Strict):
    label: str = Field(min_length=1, max_length=60, description="The number on the item's label (its serial)")
    postcode: str = Field(min_length=1, max_length=12, description="The postcode where the item is")


class CollectionRequestAccepted(BaseModel):
    reference: str
    message: str


def too_many():
    answer = problem(429, "Too many requests", "Too many collection requests. Please try again later.")
    answer.headers["Retry-After"] = "3600"
    return answer


@bp.post("/collection-requests", responses={202: CollectionRequestAccepted, 401: Problem, 422: Problem, 429: Problem})
@public
def create_collection_request(body: CollectionRequestIn):
    """Ask for the collection of a loaned item (no sign-in). 202 with a reference whether or not the
    item matched; a match becomes a collection order. Rate-limited per address and per label."""
    if collection_limits.refused(body.label):
        return too_many()
    answer = collection_requests.request_collection(
        get_db(), label=body.label, postcode=body.postcode, settings=OrderSettings.from_config(current_app.config)
    )
    return CollectionRequestAccepted(reference=answer.reference, message=collection_requests.ANSWER).model_dump(
        mode="json"
    ), 202
