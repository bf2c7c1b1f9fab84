"""The Telegram webhook: Telegram POSTs each Update here with the secret given in
setWebhook (`flask telegram-webhook URL`) in the X-Telegram-Bot-Api-Secret-Token
header. No session and no CSRF token: the secret is the proof it is Telegram."""
import hmac

from flask import Blueprint, current_app, request

from tutor.extensions import csrf
from tutor.services import bounds, telegram_links, work

bp = Blueprint("telegram", __name__, url_prefix="/telegram")
# The header's name (bandit takes it for a password); the secret is in the config.
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # nosec B105


@bp.post("/webhook")
@csrf.exempt
def webhook():
    config = current_app.config
    if not config["TELEGRAM_BOT_TOKEN"]:
        return "", 404
    secret = config["TELEGRAM_WEBHOOK_SECRET"]
    given = request.headers.get(SECRET_HEADER, "")
    # No secret configured: nothing can prove a request comes from Telegram.
    if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
        return "", 403
    # Parsed with bounds on its nesting: the JSON decoder recurses, and a body of
    # 200,000 nested arrays would exhaust the stack.
    update = bounds.parse_json(request.get_data(cache=False))
    try:
        telegram_links.update_id_of(update)
    except telegram_links.InvalidUpdate:
        return "", 400
    # Saved, then handled by a consumer: Telegram waits for this answer before sending
    # more, and sends the update again unless it is 200.
    work.receive_telegram_update(update)
    work.wake()
    return "", 200
