"""The home page: each role starts where its day's work is."""

from flask import Blueprint, render_template

from equipment.web.access import ALL_ROLES, allow, current_principal

bp = Blueprint("home", __name__)

# What each role finds on its home page: (title, endpoint, words)
ROLE_START = {
    "admin": "Run the service: users, depots, vans and the catalogue.",
    "coordinator": "Take orders, plan the day and keep the routes on time.",
    "clerk": "Record stock: receipts, counts, transfers, returns and loading.",
    "driver": "Your route for today, stop by stop.",
    "officer": "Delivery performance against the agreed times.",
    "prescriber": "Order equipment for the people you assess, and follow each order to the door.",
}


@bp.route("/")
@allow(*ALL_ROLES)
def index():
    principal = current_principal()
    return render_template("home.html", intro=ROLE_START[principal.role])
