"""Moving through a page with the keyboard alone, as the keyboard journeys do:
tab_to() tabs (or shift-tabs) to an element, failing on any element on the way
that does not show it has the focus; wait_until_modal() waits for a dialog the script
makes modal."""
FOCUS_SHOWN = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  return outline || style.boxShadow !== "none";
}"""
FOCUSED = "el => el === document.activeElement"


def describe_focus(page):
    return page.evaluate("() => document.activeElement ? document.activeElement.outerHTML"
                         ".slice(0, 120) : 'nothing'")


def tab_to(page, target, backwards=False, limit=80):
    """Tab (or Shift+Tab) until `target` has the focus, checking that each element
    passed on the way shows its focus."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        shown = page.evaluate(FOCUS_SHOWN)
        assert shown is not False, f"focus is invisible on {describe_focus(page)}"
        if target.evaluate(FOCUSED):
            return
    raise AssertionError(f"{limit} tabs did not reach {target}; at {describe_focus(page)}")


def wait_until_modal(page, selector):
    """Until the dialog is modal with the focus in it. A server-rendered <dialog open>
    already has its autofocus button focused before tutor.js makes it modal, and until
    then Escape leaves it open and Enter closes it without handing the focus back."""
    page.wait_for_function("""selector => {
        const dialog = document.querySelector(selector);
        return dialog !== null && dialog.matches(":modal")
            && dialog.contains(document.activeElement);
    }""", arg=selector, timeout=5000)
