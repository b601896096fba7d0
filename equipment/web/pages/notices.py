"""The outbox: what service users have been told, and letters for coordinators to print."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

from equipment import notices
from equipment.errors import DomainError
from equipment.notices.dispatch import ask_for_sending
from equipment.vocabulary import Channel, NoticeKind, NoticeStatus
from equipment.web.access import allow, current_principal
from equipment.web.database import get_db, get_engine

bp = Blueprint("notices_pages", __name__)
READERS = ("admin", "coordinator")
PER_PAGE = 50
KIND_WORDS = {
    NoticeKind.WINDOW: "Visit window",
    NoticeKind.ON_THE_WAY: "Van on its way",
    NoticeKind.FAILED_VISIT: "After a failed visit",
    NoticeKind.RECALL: "Safety recall",
}
CHANNEL_WORDS = {Channel.SMS: "Text", Channel.EMAIL: "E-mail", Channel.LETTER: "Letter"}
STATUS_WORDS = {
    NoticeStatus.QUEUED: "Waiting",
    NoticeStatus.SENDING: "Sending",
    NoticeStatus.SENT: "Sent",
    NoticeStatus.DELIVERED: "Delivered",
    NoticeStatus.FAILED: "Failed",
}


def _choice(name: str, allowed) -> str | None:
    value = request.args.get(name) or None
    return value if value in set(allowed) else None


@bp.route("/notices")
@allow(*READERS)
def outbox():
    """Messages newest first, filtered by status and channel."""
    status, channel = _choice("status", NoticeStatus), _choice("channel", Channel)
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and 0 < int(page) < 10_000 else 1
    rows, total = notices.list_notices(
        get_db(), status=status, channel=channel, limit=PER_PAGE, offset=(page - 1) * PER_PAGE
    )
    return render_template(
        "notices/outbox.html",
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        status=status,
        channel=channel,
        sending=bool(current_app.config.get("NOTIFY_API_KEY")),
        kind_words=KIND_WORDS,
        channel_words=CHANNEL_WORDS,
        status_words=STATUS_WORDS,
    )


@bp.route("/notices/letters")
@allow(*READERS)
def letters():
    """Every waiting letter, one to a printed page."""
    return render_template(
        "notices/letters.html", letters=notices.queued_letters(get_db(), user_id=current_principal().id)
    )


@bp.route("/notices/<int:notice_id>/sent", methods=["POST"])
@allow(*READERS)
def mark_sent(notice_id: int):
    try:
        notices.mark_sent_by_hand(get_db(), notice_id=notice_id, user_id=current_principal().id)
        flash("Marked as sent.")
    except DomainError as exc:
        if exc.status == 404:
            abort(404)
        flash(f"Not changed: {exc.detail}")
    return redirect(url_for("notices_pages.outbox", status=request.args.get("status") or None))


# Requests after which there may be new messages to send: a publish or an outcome.
SENDING_ENDPOINTS = {
    "planning_pages.publish",
    "api_plans.publish_plan",
    "api_routes.record_outcome",
    "driver_pages.record_outcome",
    "api_plans.insert_urgent",
    "planning_pages.insert",
}


def init_sending(app) -> None:
    """After a request that made messages, ask for a send round (off this thread)."""

    @app.after_request
    def _ask(response):
        if request.method == "POST" and response.status_code < 400 and request.endpoint in SENDING_ENDPOINTS:
            try:
                ask_for_sending(get_engine(), current_app.config)
            except Exception:  # the messages wait in the outbox; the next round sends them
                current_app.logger.exception("could not ask for a send round")
        return response
