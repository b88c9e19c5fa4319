"""Moving through a page with the Tab key, checking at every stop that focus can be seen."""

# What has focus, and whether a sighted keyboard user can see it: an outline at least 2px wide,
# with 3:1 contrast against the background it is drawn on (WCAG 2.1, 1.4.11 and 2.4.7), on an
# element that is itself on screen.
FOCUS_STATE = """
async () => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  // With reduced motion every change is a 0.01ms transition; read the style it ends in.
  await Promise.all(el.getAnimations().map((a) => a.finished.catch(() => null)));
  const rgba = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return [0, 0, 0, 0];
    const p = m[1].split(/[\\s,/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const luminance = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  let background = "rgb(255, 255, 255)";
  for (let n = el.parentElement; n; n = n.parentElement) {
    const c = getComputedStyle(n).backgroundColor;
    if (rgba(c)[3] > 0) { background = c; break; }
  }
  const s = getComputedStyle(el);
  const a = luminance(rgba(s.outlineColor)), b = luminance(rgba(background));
  const box = el.getBoundingClientRect();
  const name = (el.getAttribute("aria-label") || el.innerText || el.value || el.name || "").trim();
  return {
    element: `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""} "${name.slice(0, 60)}"`,
    tag: el.tagName.toLowerCase(),
    id: el.id,
    name: name,
    outline: `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor} on ${background}`,
    visible: s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2
      && rgba(s.outlineColor)[3] > 0 && (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05) >= 3,
    onScreen: box.width > 1 && box.height > 1 && box.bottom > 0 && box.right > 0
      && box.top < innerHeight && box.left < innerWidth,
  };
}
"""


def focused(page):
    return page.evaluate(FOCUS_STATE)


def assert_focus_visible(state, where=""):
    assert state["onScreen"], f"{where}: focus is on {state['element']}, which is not on screen"
    assert state["visible"], f"{where}: focus on {state['element']} cannot be seen ({state['outline']})"


def tab_to(page, matches, limit=120):
    """Press Tab until `matches(state)` holds for the focused element; every stop on the way
    must show its focus. Returns that element's state."""
    seen = []
    page.wait_for_load_state()  # a stop checked before the stylesheet arrives looks unstyled
    for _ in range(limit):
        page.keyboard.press("Tab")
        state = focused(page)
        if state is None:
            continue  # past the last stop: the next Tab starts again at the top
        assert_focus_visible(state, page.url)
        seen.append(state["element"])
        if matches(state):
            return state
    raise AssertionError(f"{limit} presses of Tab never reached the element; went through: {seen}")


def named(text, tag=None):
    """Match a focused element by the start of its visible name (and tag)."""
    return lambda s: s["name"].startswith(text) and (tag is None or s["tag"] == tag)


def with_id(element_id):
    return lambda s: s["id"] == element_id


def tab_through(page, limit=200):
    """Tab through every stop of a freshly loaded page once; returns the stops in order."""
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        state = focused(page)
        if state is None or (stops and state["element"] == stops[0]["element"]):
            return stops
        assert_focus_visible(state, page.url)
        stops.append(state)
    raise AssertionError(f"more than {limit} Tab stops on {page.url}")


# Typing as a person does: a pause of 50 to 250 ms before every key, and Shift held down
# (pressed, then the key, then released) for every capital and shifted sign, as on a US keyboard.
SHIFTED = {
    "!": "Digit1", "@": "Digit2", "#": "Digit3", "$": "Digit4", "%": "Digit5", "^": "Digit6",
    "&": "Digit7", "*": "Digit8", "(": "Digit9", ")": "Digit0", "_": "Minus", "+": "Equal",
    "{": "BracketLeft", "}": "BracketRight", "|": "Backslash", ":": "Semicolon", '"': "Quote",
    "<": "Comma", ">": "Period", "?": "Slash", "~": "Backquote",
}  # fmt: skip
PLAIN = {
    " ": "Space", "\n": "Enter", ",": "Comma", ".": "Period", "'": "Quote", "-": "Minus",
    "=": "Equal", "[": "BracketLeft", "]": "BracketRight", "\\": "Backslash", ";": "Semicolon",
    "/": "Slash", "`": "Backquote",
}  # fmt: skip


def pause(page, rng, low=50, high=250):
    page.wait_for_timeout(rng.randint(low, high))


def press_with_shift(page, code, rng):
    """Shift down, a short while, the key, a short while, Shift up."""
    page.keyboard.down("Shift")
    pause(page, rng, 20, 90)
    page.keyboard.press(code)
    pause(page, rng, 20, 90)
    page.keyboard.up("Shift")


def type_like_a_person(page, text, rng):
    """Type `text` into whatever has focus, one key at a time at a person's speed."""
    for char in text:
        pause(page, rng)
        if char.isascii() and char.isupper():
            press_with_shift(page, f"Key{char}", rng)
        elif char in SHIFTED:
            press_with_shift(page, SHIFTED[char], rng)
        elif char.isascii() and char.islower():
            page.keyboard.press(f"Key{char.upper()}")
        elif char.isdigit():
            page.keyboard.press(f"Digit{char}")
        else:
            page.keyboard.press(PLAIN[char])
