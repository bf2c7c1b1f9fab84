"""flask commands for the Telegram bot: `flask --app wsgi telegram-webhook URL` (or
`--delete`) and `flask --app wsgi telegram-poll`.

Updates reach the bot one way at a time, Telegram's rule: while a webhook is set,
getUpdates is refused (409 Conflict), so long polling needs `telegram-webhook
--delete` first; setting a webhook again ends polling."""
import logging
import re
import time

import click
from flask import current_app
from flask.cli import with_appcontext

from tutor.integrations.telegram import TelegramError
from tutor.services import outbox_backends, telegram_links

log = logging.getLogger("tutor.telegram")
# What Telegram accepts as a webhook secret_token.
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
MAX_WAIT = 60  # seconds between polling attempts while Telegram cannot be reached


def _bot():
    bot = outbox_backends.bot()
    if bot is None:
        raise click.ClickException("TELEGRAM_BOT_TOKEN is not set.")
    return bot


@click.command("telegram-webhook")
@with_appcontext
@click.argument("url", required=False)
@click.option("--delete", is_flag=True,
              help="Remove the webhook (to poll with telegram-poll instead).")
def telegram_webhook(url, delete):
    """Have Telegram send the bot's updates to URL, this site's /telegram/webhook
    over HTTPS, with TELEGRAM_WEBHOOK_SECRET; or --delete the webhook."""
    bot = _bot()
    try:
        if delete:
            bot.delete_webhook()
            click.echo("Webhook removed: `flask telegram-poll` can fetch the updates now.")
            return
        if not url:
            raise click.UsageError("Give the webhook's URL, or --delete.")
        if not url.startswith("https://"):
            raise click.UsageError("Telegram sends webhooks only to https:// addresses.")
        secret = current_app.config["TELEGRAM_WEBHOOK_SECRET"]
        if not SECRET_PATTERN.match(secret):
            raise click.ClickException(
                "TELEGRAM_WEBHOOK_SECRET must be set: 1-256 characters of A-Z, a-z, 0-9, _ and -.")
        bot.set_webhook(url, secret, allowed_updates=telegram_links.ALLOWED_UPDATES)
    except TelegramError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Telegram sends the bot's updates to {url} now; telegram-poll is refused "
               "until the webhook is removed with --delete.")


@click.command("telegram-poll")
@with_appcontext
@click.option("--once", is_flag=True,
              help="Handle the updates waiting now (or arriving within --timeout), then stop.")
@click.option("--timeout", default=25, show_default=True, type=click.IntRange(0, 50),
              help="Seconds each getUpdates request waits for an update to arrive.")
def telegram_poll(once, timeout):
    """Fetch the bot's updates by long polling (getUpdates) and handle them, for
    installs that Telegram cannot reach with a webhook. Stop with Ctrl+C."""
    from tutor.services import telegram_bot  # the bot itself: only this command needs it
    bot = _bot()
    offset, failures = None, 0
    try:
        while True:
            try:
                offset, count = telegram_bot.poll(bot, offset, timeout)
                failures = 0
                if once:
                    if offset is not None:
                        # Confirms what was handled: Telegram drops updates below the offset.
                        bot.get_updates(offset=offset, timeout=0,
                                        allowed_updates=telegram_links.ALLOWED_UPDATES)
                    click.echo(f"{count} update(s) handled.")
                    return
            except TelegramError as error:
                if error.error_code == 409 and "webhook" in error.description.lower():
                    raise click.ClickException(
                        "Telegram refuses getUpdates while a webhook is set. Remove it with "
                        "`flask telegram-webhook --delete`, or let the webhook receive the "
                        "updates.") from None
                if error.error_code == 409:
                    # "terminated by other getUpdates request": two pollers would take
                    # each other's updates in turn, so this one stops.
                    raise click.ClickException(
                        "Another process is fetching this bot's updates (a second "
                        "`flask telegram-poll`, or another program with the same token). "
                        "Stop it: only one may poll.") from None
                if once or (error.permanent and error.error_code != 429):
                    raise click.ClickException(str(error)) from None
                failures += 1
                wait = error.retry_after or min(2 ** failures, MAX_WAIT)
                log.warning("Telegram polling failed (%s); trying again in %s s", error, wait)
                time.sleep(wait)  # a CLI loop, not a request: nothing else waits on it
    except KeyboardInterrupt:
        click.echo("Stopped.")


COMMANDS = [telegram_webhook, telegram_poll]
