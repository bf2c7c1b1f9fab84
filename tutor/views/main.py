"""Odds and ends outside any area."""
from flask import Blueprint, redirect, url_for

bp = Blueprint("main", __name__)


@bp.get("/favicon.ico")
def favicon():
    return redirect(url_for("static", filename="favicon.svg"), 301)
