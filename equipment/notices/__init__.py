"""Messages to service users: when the van is coming (the day before, then on the way), and what
happens after a failed visit; by text, e-mail or letter as each person chose; sent through GOV.UK
Notify when it is configured, otherwise kept in an outbox for coordinators to print and post."""

from equipment.notices.events import queue_after_outcome, queue_recall_notice, queue_window_notices
from equipment.notices.queries import NoticeRow, list_notices, mark_sent_by_hand, queued_letters
from equipment.notices.sending import NotifySettings, refresh_statuses, send_queued

__all__ = [
    "NoticeRow",
    "NotifySettings",
    "list_notices",
    "mark_sent_by_hand",
    "queue_after_outcome",
    "queue_recall_notice",
    "queue_window_notices",
    "queued_letters",
    "refresh_statuses",
    "send_queued",
]
