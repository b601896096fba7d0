"""`flask stock verify` says whether the ledger and the balances agree, and where they do not."""

from sqlalchemy import text

from equipment import stock


def test_verify_agrees_then_finds_a_tampered_balance(app, db, make):
    make.depot("IPS")
    make.item("FRM-1")
    make.item("BED-1", serialised=True)
    stock.receive_goods(db, depot_code="IPS", sku="FRM-1", quantity=4, user_id=None)
    stock.receive_goods(db, depot_code="IPS", sku="BED-1", serials=["B1"], user_id=None)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["stock", "verify"])
    assert result.exit_code == 0 and "ledger and balances agree" in result.output
    db.exec(text("UPDATE stock_balances SET quantity = 9 WHERE state = 'available'"))
    db.commit()
    result = runner.invoke(args=["stock", "verify"])
    assert result.exit_code == 1
    assert "IPS FRM-1 available: ledger 4, balance 9" in result.output
    assert "IPS BED-1 available: ledger 1, balance 9, assets 1" in result.output
