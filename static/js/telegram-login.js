// "Log in with Telegram": Telegram's widget script (telegram-widget.js) opens
// Telegram's own authorisation window; the signed answer it hands back is posted with
// the page's form, whose CSRF token travels along. Telegram.Login.auth takes a plain
// function, so no inline handler or eval is needed under the CSP. The script is
// fetched only when the person reaches for the button, so pages that merely show it
// ask nothing of telegram.org.
(function () {
  "use strict";
  var loading = null;

  function telegramScript(src) {
    if (window.Telegram && window.Telegram.Login) return Promise.resolve();
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var tag = document.createElement("script");
        tag.src = src;
        tag.onload = resolve;
        tag.onerror = function () { loading = null; reject(); };
        document.head.appendChild(tag);
      });
    }
    return loading;
  }

  function start(button) {
    var form = document.getElementById(button.getAttribute("data-telegram-form"));
    var src = button.getAttribute("data-telegram-script");
    if (!form || !src) return;
    button.hidden = false;
    var warm = function () { telegramScript(src).catch(function () {}); };
    button.addEventListener("pointerenter", warm);
    button.addEventListener("focus", warm);
    button.addEventListener("click", function () {
      telegramScript(src).then(function () {
        window.Telegram.Login.auth(
          { bot_id: button.getAttribute("data-telegram-bot-id"), request_access: "write",
            lang: document.documentElement.lang },
          function (user) {
            if (!user) return;  // the window was closed
            Array.prototype.forEach.call(form.querySelectorAll("input[data-telegram-field]"),
              function (input) {
                var value = user[input.name];
                input.value = value === undefined || value === null ? "" : String(value);
              });
            form.submit();
          });
      }, function () {});
    });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-telegram-bot-id]"), start);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
