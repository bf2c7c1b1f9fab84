// Small behaviours of our own; no inline scripts anywhere (the CSP forbids them).
// Everything here is an enhancement: each page works without it.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function dismiss(toast) {
    if (toast && toast.parentNode) toast.parentNode.removeChild(toast);
  }

  // Success and info toasts leave by themselves; errors stay until closed.
  function scheduleDismissal(root) {
    root.querySelectorAll(".toast-success, .toast-info").forEach(function (toast) {
      setTimeout(function () { dismiss(toast); }, 6000);
    });
  }

  // Elements matching `selector` in `root`, `root` itself included (htmx:load names
  // the swapped-in element, which may be the very thing to enhance).
  function within(root, selector) {
    var found = Array.prototype.slice.call(root.querySelectorAll(selector));
    if (root.matches && root.matches(selector)) found.unshift(root);
    return found;
  }

  // A server-rendered <dialog open> becomes a real modal (focus held, Esc closes, and
  // the focus goes back where it was when it closes).
  function upgradeDialogs(root) {
    within(root, "dialog[data-modal][open]").forEach(function (dialog) {
      dialog.close();
      dialog.showModal();
    });
  }

  // The browser's time zone preselected where the server only guessed.
  function preselectTimezone(root) {
    var zone;
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
    root.querySelectorAll("select[data-browser-timezone]").forEach(function (select) {
      if (select.dataset.touched) return;
      // Browsers still report some old names (Asia/Calcutta): the list offers the new.
      var aliases = {};
      try { aliases = JSON.parse(select.getAttribute("data-zone-aliases") || "{}"); } catch (e) {}
      var offered = aliases[zone] || zone;
      for (var i = 0; i < select.options.length; i++) {
        if (select.options[i].value === offered) { select.value = offered; break; }
      }
    });
  }

  // Show only the fields of the chosen notification channel.
  function syncChannel(fieldset) {
    var checked = fieldset.querySelector("input[type=radio]:checked");
    var optOut = document.querySelector("[data-dialog-trigger=optout-dialog]");
    var channel = optOut && optOut.checked ? "none" : (checked ? checked.value : "");
    fieldset.querySelectorAll("[data-show-for-channel]").forEach(function (el) {
      el.hidden = el.getAttribute("data-show-for-channel") !== channel;
    });
  }

  // A table wider than the screen scrolls inside its .table-wrap; one that does is
  // made a tab stop, so the keyboard can scroll it too (named after its heading).
  function headingFor(wrap) {
    var caption = wrap.querySelector("caption");
    if (caption) return caption.textContent.trim();
    var box = wrap.closest("section, main");
    var heading = box && box.querySelector("h1, h2, h3");
    return heading ? heading.textContent.trim() : "";
  }

  function markScrollingTables() {
    document.querySelectorAll(".table-wrap").forEach(function (wrap) {
      if (wrap.scrollWidth > wrap.clientWidth) {
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("role", "region");
        if (!wrap.hasAttribute("aria-label")) wrap.setAttribute("aria-label", headingFor(wrap));
      } else if (wrap.getAttribute("tabindex") === "0") {
        wrap.removeAttribute("tabindex");
        wrap.removeAttribute("role");
        wrap.removeAttribute("aria-label");
      }
    });
  }

  function enhance(root) {
    scheduleDismissal(root);
    upgradeDialogs(root);
    preselectTimezone(root);
    root.querySelectorAll("[data-channel-fieldset]").forEach(syncChannel);
    markScrollingTables();
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-dismiss-toast]");
    if (button) dismiss(button.closest(".toast"));
  });

  // Links htmx fetches in place, named once by their container instead of an hx-get
  // repeating each href (a week has some sixty links to book): data-htmx-links holds
  // a selector of the container's links. The request takes the hx-target, hx-swap and
  // hx-push-url the link inherits, as an hx-get on it would. A click with a modifier
  // key opens the page as a link does; without JavaScript they are plain links.
  document.addEventListener("click", function (event) {
    if (event.defaultPrevented || event.button !== 0 || event.ctrlKey || event.metaKey ||
        event.shiftKey || event.altKey || !window.htmx) return;
    var container = event.target.closest("[data-htmx-links]");
    var link = container && event.target.closest(container.getAttribute("data-htmx-links"));
    if (!link || !container.contains(link)) return;
    event.preventDefault();
    window.htmx.ajax("GET", link.getAttribute("href"), {source: link});
  });

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("select[data-browser-timezone]")) target.dataset.touched = "1";
    var fieldset = target.closest("[data-channel-fieldset]");
    if (fieldset) syncChannel(fieldset);
    var dialogId = target.getAttribute("data-dialog-trigger");
    if (dialogId) {
      document.querySelectorAll("[data-channel-fieldset]").forEach(syncChannel);
      var dialog = document.getElementById(dialogId);
      if (target.checked && dialog) {
        dialog.returnValue = "";
        dialog.showModal();
      }
    }
  });

  // The opt-out dialog: "keep e-mail or Telegram" unticks the choice again (a radio
  // button goes back to the first channel of its group).
  document.addEventListener("close", function (event) {
    var dialog = event.target;
    if (!(dialog instanceof HTMLDialogElement) || !dialog.id) return;
    var trigger = document.querySelector('[data-dialog-trigger="' + dialog.id + '"]');
    if (trigger && dialog.returnValue !== "optout") {
      trigger.checked = false;
      if (trigger.type === "radio" && trigger.form) {
        var first = trigger.form.querySelector('input[type=radio][name="' + trigger.name + '"]');
        if (first && first !== trigger) first.checked = true;
      }
      document.querySelectorAll("[data-channel-fieldset]").forEach(syncChannel);
    }
  }, true);

  // A dialog that names where the focus goes back (data-return-focus: an element id)
  // sends it there when it closes, e.g. the wrong-login notice to the password field.
  // (Its upgrade to a modal closes it once too, while it is open again: skipped.)
  document.addEventListener("close", function (event) {
    var dialog = event.target;
    if (!(dialog instanceof HTMLDialogElement) || dialog.open) return;
    var target = document.getElementById(dialog.getAttribute("data-return-focus") || "");
    if (target) target.focus();
  }, true);

  // A field's error spoke of the value it had: once the field is changed, it goes
  // (the server checks again on submit).
  document.addEventListener("input", function (event) {
    var field = event.target.closest && event.target.closest(".field.has-error");
    if (!field) return;
    var error = field.querySelector(".error");
    field.classList.remove("has-error");
    event.target.removeAttribute("aria-invalid");
    if (error) {
      var described = (event.target.getAttribute("aria-describedby") || "").split(" ")
        .filter(function (id) { return id && id !== error.id; }).join(" ");
      if (described) event.target.setAttribute("aria-describedby", described);
      else event.target.removeAttribute("aria-describedby");
      error.remove();
    }
  });

  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  window.addEventListener("resize", markScrollingTables);
  document.addEventListener("htmx:load", function (event) { enhance(event.detail.elt); });
})();
