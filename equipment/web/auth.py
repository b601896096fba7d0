"""Sign-in for the HTML pages (Flask-Login sessions) and the shared user loader."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from equipment.models import User
from equipment.people import users
from equipment.web import sign_in_limits
from equipment.web.access import Principal, public
from equipment.web.database import get_db

bp = Blueprint("auth", __name__)
login_manager = LoginManager()


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=60)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


@login_manager.user_loader
def _load_user(session_id: str) -> Principal | None:
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = get_db().get(User, int(user_id))
    if user is None or not user.active or user.auth_version != int(version):
        return None
    return Principal.of(user)


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an attacker's link must not bounce a user to another site.
    unsafe = not target or any(ord(c) < 32 or ord(c) == 127 for c in target)  # CR/LF would split a header
    if unsafe or urlsplit(target).netloc or urlsplit(target).scheme or not target.startswith("/"):
        return url_for("home.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    form = LoginForm()
    if form.validate_on_submit():
        if sign_in_limits.refused_before_checking(form.username.data):
            return _too_many(form)
        db = get_db()
        user = users.authenticate(db, form.username.data, form.password.data)
        if user is None:
            if sign_in_limits.refused_after_failure(form.username.data):
                return _too_many(form)
            form.password.errors.append("Wrong username or password.")
        else:
            login_user(Principal.of(user))
            users.record_sign_in(db, user_id=user.id)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html", form=form), 200 if not form.errors else 401


def _too_many(form: LoginForm):
    form.password.errors.append("Too many failed attempts. Wait a minute, then try again.")
    return render_template("login.html", form=form), 429


@bp.route("/logout", methods=["POST"])
@public
def logout():
    if current_user.is_authenticated:
        users.end_sessions(get_db(), user_id=current_user.id)
    logout_user()
    flash("You are signed out.")
    return redirect(url_for("auth.login"))


def init_auth(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    # No address or browser binding: Flask-Login's check rewrites a pre-sign-in session on any
    # request (a favicon fetched with the login page's cookie), and a reply landing after the
    # sign-in signed the user out; a driver's phone also changes address between networks.
    # Sessions end server-side instead: each carries the user's auth_version.
    login_manager.session_protection = None
    app.register_blueprint(bp)
