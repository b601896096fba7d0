"""The public page to ask for a collection: the number on the item's label and the postcode.
No sign-in; the same thank-you whether or not anything matched."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from equipment.errors import DomainError
from equipment.orders import collection_requests
from equipment.orders.intake import OrderSettings
from equipment.web import collection_limits
from equipment.web.access import csrf, public
from equipment.web.database import get_db

bp = Blueprint("collection_pages", __name__)
MAX_FIELD = 60


@bp.route("/collection-request", methods=["GET", "POST"])
@public
def collection_request():
    """Ask for an item to be collected (anyone holding one; no account)."""
    form = {"label": "", "postcode": ""}
    errors: dict[str, str] = {}
    if request.method == "GET":
        return render_template("prescriber/collection_request.html", form=form, errors=errors, reference=None)
    csrf.protect()  # signed in or not: this form changes things
    form = {key: request.form.get(key, "").strip()[:MAX_FIELD] for key in form}
    if collection_limits.refused(form["label"]):
        message = "Too many requests from here. Please try again in an hour, or call the service."
        return render_template(
            "prescriber/collection_request.html", form=form, errors={"form": message}, reference=None
        ), 429
    try:
        answer = collection_requests.request_collection(
            get_db(),
            label=form["label"],
            postcode=form["postcode"],
            settings=OrderSettings.from_config(current_app.config),
        )
    except DomainError as exc:
        errors[exc.field or "form"] = exc.detail
        return render_template("prescriber/collection_request.html", form=form, errors=errors, reference=None), 422
    return render_template(
        "prescriber/collection_request.html",
        form=form,
        errors={},
        reference=answer.reference,
        message=collection_requests.ANSWER,
    )
