"""What commissioners see of compliance in the home, from the asset records alone and without
names: the share of equipment on loan with an in-date examination (LOLER) or electrical test,
overdue examinations by area, and each open recall's progress."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func
from sqlmodel import Session, select

from equipment.compliance.recall_views import list_recalls
from equipment.compliance.schemas import RecallSummary
from equipment.models import Asset, Item, ServiceUser
from equipment.vocabulary import InspectionRegime, StockState

REGIME_LABELS = {
    InspectionRegime.LOLER_6M: "Lifting equipment with an in-date LOLER examination",
    InspectionRegime.ELECTRICAL_12M: "Electrical equipment with an in-date electrical test",
}


@dataclass(frozen=True)
class RegimeFigure:
    regime: str
    label: str
    on_loan: int
    in_date: int

    @property
    def overdue(self) -> int:
        return self.on_loan - self.in_date

    @property
    def share(self) -> float | None:
        """Percent in date, one decimal; None with nothing on loan."""
        return round(100.0 * self.in_date / self.on_loan, 1) if self.on_loan else None


@dataclass(frozen=True)
class AreaOverdue:
    area: str
    regime: str
    overdue: int


@dataclass(frozen=True)
class ComplianceFigures:
    on_day: date
    regimes: list[RegimeFigure]
    overdue_by_area: list[AreaOverdue]
    recalls: list[RecallSummary]


def compliance_figures(session: Session, *, today: date) -> ComplianceFigures:
    """The figures on `today`: in date means the next examination is due today or later."""
    in_date = case((Asset.next_inspection_due >= today, 1), else_=0)
    counts = {
        regime: (n, int(good or 0))
        for regime, n, good in session.exec(
            select(Item.inspection_regime, func.count(), func.sum(in_date))
            .select_from(Asset)
            .join(Item, Item.id == Asset.item_id)
            .where(Asset.state == StockState.ON_LOAN, Item.inspection_regime.in_(list(REGIME_LABELS)))
            .group_by(Item.inspection_regime)
        )
    }
    regimes = [RegimeFigure(regime, label, *counts.get(regime, (0, 0))) for regime, label in REGIME_LABELS.items()]
    overdue = session.exec(
        select(ServiceUser.district, Item.inspection_regime, func.count())
        .select_from(Asset)
        .join(Item, Item.id == Asset.item_id)
        .join(ServiceUser, ServiceUser.id == Asset.service_user_id)
        .where(
            Asset.state == StockState.ON_LOAN,
            Item.inspection_regime.in_(list(REGIME_LABELS)),
            (Asset.next_inspection_due < today) | Asset.next_inspection_due.is_(None),
        )
        .group_by(ServiceUser.district, Item.inspection_regime)
        .order_by(ServiceUser.district, Item.inspection_regime)
    ).all()
    return ComplianceFigures(
        on_day=today,
        regimes=regimes,
        overdue_by_area=[AreaOverdue(area, regime, n) for area, regime, n in overdue],
        recalls=list_recalls(session, open_only=True),
    )


def figures_csv(figures: ComplianceFigures) -> str:
    """The figures as one CSV: a section column says which table each row belongs to."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["section", "name", "regime", "on_loan", "in_date", "overdue", "share_percent", "affected", "reached", "done"]
    )
    for r in figures.regimes:
        share = "" if r.share is None else f"{r.share:.1f}"
        writer.writerow(["in_date", r.label, r.regime, r.on_loan, r.in_date, r.overdue, share, "", "", ""])
    for a in figures.overdue_by_area:
        writer.writerow(["overdue_by_area", a.area, a.regime, "", "", a.overdue, "", "", "", ""])
    for recall in figures.recalls:
        p = recall.progress
        writer.writerow(["recall", recall.reference, recall.action, "", "", "", "", p.affected, p.reached, p.done])
    return buffer.getvalue()
