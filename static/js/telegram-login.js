// "Log in with Telegram": Telegram's widget script (telegram-widget.js, loaded before
// this one) opens Telegram's own authorisation window; the signed answer it hands back
// is posted with the page's form, whose CSRF token travels along. Telegram.Login.auth
// takes a plain function, so no inline handler or eval is needed under the CSP.
(function () {
  "use strict";
  function start(button) {
    var form = document.getElementById(button.getAttribute("data-telegram-form"));
    if (!form) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      if (!window.Telegram || !window.Telegram.Login) return;
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
    });
  }
  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-telegram-bot-id]"), start);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
