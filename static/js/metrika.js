// Yandex.Metrika, loaded only when YANDEX_METRIKA_ID is configured (see base.html);
// the usual inline snippet, as a file so the CSP can forbid inline scripts.
(function () {
  "use strict";
  var counter = Number(document.currentScript.getAttribute("data-counter"));
  if (!counter) return;
  window.ym = window.ym || function () { (window.ym.a = window.ym.a || []).push(arguments); };
  window.ym.l = Date.now();
  var tag = document.createElement("script");
  tag.async = true;
  tag.src = "https://mc.yandex.ru/metrika/tag.js";
  document.head.appendChild(tag);
  window.ym(counter, "init", { clickmap: true, trackLinks: true, accurateTrackBounce: true });
})();
