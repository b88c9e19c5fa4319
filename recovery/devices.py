"""Plain words for a browser's user-agent string: "Firefox on Android", not "Mozilla/5.0 (...)".

ua-parser (with the regexes of the uap-core project) does the reading; this only trims the names
a person would not say ("Chrome Mobile", "Mac OS X")."""

from functools import cache, lru_cache

from ua_parser import BasicResolver, Parser, load_lazy_builtins

BROWSERS = {
    "Chrome Mobile": "Chrome",
    "Chrome Mobile iOS": "Chrome",
    "HeadlessChrome": "Chrome",
    "Chromium": "Chromium",
    "Firefox Mobile": "Firefox",
    "Firefox iOS": "Firefox",
    "Mobile Safari": "Safari",
    "Mobile Safari UI/WKWebView": "Safari",
    "Edge Mobile": "Edge",
    "Samsung Internet": "Samsung Internet",
}
SYSTEMS = {"Mac OS X": "macOS", "Chrome OS": "ChromeOS", "Ubuntu": "Linux", "Fedora": "Linux"}


@cache
def _parser():
    # The lazy pure-Python resolver compiles only the patterns a string needs: a few tenths of
    # a second on the first sessions page a process shows, instead of seconds for all of them.
    return Parser(BasicResolver(load_lazy_builtins()))


@lru_cache(maxsize=256)
def describe(agent):
    """ "Firefox on Android", "Safari on iOS", "Chrome", or "An unknown browser"."""
    if not agent:
        return "An unknown browser"
    agent = agent[:500]
    found_browser, found_system = _parser().parse_user_agent(agent), _parser().parse_os(agent)
    browser = found_browser.family if found_browser else "Other"
    system = found_system.family if found_system else "Other"
    browser = BROWSERS.get(browser, browser)
    system = SYSTEMS.get(system, system)
    if browser == "Other" and system == "Other":
        return "An unknown browser"
    if browser == "Other":
        return f"A browser on {system}"
    if system == "Other":
        return browser
    return f"{browser} on {system}"
