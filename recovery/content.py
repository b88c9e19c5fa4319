"""Step modules and plain pages, loaded from the Markdown files in content/.

Each file is read, validated and rendered once, and kept by its content hash: a page view
reads from memory. With CONTENT_RELOAD on (the default in development) a request first looks
at the files' modification times and re-reads only the ones that changed, so a maintainer's
edit shows on the next request. A file with errors is left out; the other pages stay up.
"""

import hashlib
import threading
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError

from recovery.frontmatter import Parsed, Problem, parse_page, parse_step
from recovery.models import Step as StepRow


class Library:
    """Every step and page, as last read from content/, and what is wrong with the files."""

    def __init__(self, root):
        self.root = Path(root)
        self._files = {}  # path -> (stat signature, Parsed)
        self._lock = threading.Lock()
        self.steps = {}
        self.path = []
        self.aliases = {}
        self.pages = {}
        self.problems = []
        self.broken = set()
        self.fragments = {}  # rendered parts of pages, for this version of the content

    def _signature(self, path):
        st = path.stat()
        return (st.st_mtime_ns, st.st_size)

    def _scan(self):
        found = {}
        for kind in ("steps", "pages"):
            folder = self.root / kind
            if folder.is_dir():
                for path in sorted(folder.glob("*.md")):
                    found[path] = kind
        return found

    def refresh(self):
        """Re-read changed files; return True when anything changed."""
        with self._lock:
            found = self._scan()
            changed = set(found) != set(self._files)
            files = {}
            for path, kind in found.items():
                try:
                    signature = self._signature(path)
                except OSError:
                    continue
                known = self._files.get(path)
                if known and known[0] == signature:
                    files[path] = known
                    continue
                raw = path.read_bytes()
                digest = hashlib.sha256(raw).hexdigest()
                if known and known[1].digest == digest:
                    files[path] = (signature, known[1])
                    continue
                changed = True
                files[path] = (signature, self._parse(path, kind, raw, digest))
            self._files = files
            if changed:
                self._build()
            return changed

    def _parse(self, path, kind, raw, digest):
        rel = self._relative(path)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            problem = Problem("error", rel, f"is not valid UTF-8 text (byte {exc.start})")
            return Parsed(digest, None, [problem], path.stem)
        parse = parse_step if kind == "steps" else parse_page
        doc, problems = parse(path, text.replace("\r\n", "\n"), rel)
        return Parsed(digest, doc, problems, path.stem)

    def _relative(self, path):
        try:
            return str(path.relative_to(settings.BASE_DIR))
        except ValueError:
            return str(path)

    def _claim_order(self, files):
        """Files in the order they claim their values: a step already served here keeps what it
        had, then one the database knows, then the rest by file name. The file that newly claims
        a value someone has is the one reported, so an added copy never takes a live step down."""
        served = {doc.slug: doc.path for doc in self.steps.values()}
        known = _known_step_slugs()

        def rank(item):
            path, (_, parsed) = item
            doc = parsed.doc
            slug = getattr(doc, "slug", parsed.slug)
            return (served.get(slug) != getattr(doc, "path", None), slug not in known, str(path))

        return sorted(files.items(), key=rank)

    def _build(self):
        problems, steps, pages, broken = [], {}, {}, set()
        orders = {}
        for path, (_, parsed) in self._claim_order(self._files):
            problems.extend(parsed.problems)
            doc = parsed.doc
            if "/pages/" in str(path) or path.parent.name == "pages":
                if doc is not None:
                    pages[doc.slug] = doc
                continue
            if doc is None:
                broken.add(parsed.slug)
                continue
            if doc.order in orders:
                problems.append(
                    Problem(
                        "error",
                        doc.path,
                        f"{doc.order} is already used by {orders[doc.order].path}",
                        doc.order_line,
                        "order",
                    )
                )
                broken.add(doc.slug)
                continue
            orders[doc.order] = doc
            steps[doc.slug] = doc
        aliases = {}
        for step in steps.values():
            for old in step.aliases:
                if old in steps:
                    problems.append(
                        Problem(
                            "error", step.path, f"'{old}' is still the slug of another step", None, "aliases"
                        )
                    )
                elif old in aliases:
                    problems.append(
                        Problem(
                            "error",
                            step.path,
                            f"'{old}' is already an alias of {aliases[old]}",
                            None,
                            "aliases",
                        )
                    )
                else:
                    aliases[old] = step.slug
            for other in step.related:
                if other not in steps and other not in broken:
                    problems.append(
                        Problem(
                            "warning", step.path, f"'{other}' is not the slug of any step", None, "related"
                        )
                    )
        self.steps = steps
        self.path = sorted(steps.values(), key=lambda s: (not s.core, s.order))
        self.aliases = aliases
        self.pages = pages
        self.problems = problems
        self.broken = broken
        self.fragments = {}

    # Reading the path

    @property
    def core(self):
        return [s for s in self.path if s.core]

    @property
    def optional(self):
        return [s for s in self.path if not s.core]

    def neighbours(self, step):
        index = self.path.index(step)
        before = self.path[index - 1] if index > 0 else None
        after = self.path[index + 1] if index + 1 < len(self.path) else None
        return before, after

    def problems_for(self, slug):
        return [p for p in self.problems if Path(p.path).stem == slug]


def _known_step_slugs():
    """Slugs the database has Step rows for; none before the first migrate, or where no
    database may be used (a test without one)."""
    try:
        return set(StepRow.objects.values_list("slug", flat=True))
    except (DatabaseError, RuntimeError):
        return set()


_library = None
_library_lock = threading.Lock()


def library():
    """The shared library, refreshed from disk when CONTENT_RELOAD is on."""
    global _library
    if _library is None:
        with _library_lock:
            if _library is None:
                lib = Library(settings.CONTENT_DIR)
                lib.refresh()
                _library = lib
                return lib
    if settings.CONTENT_RELOAD:
        _library.refresh()
    return _library


def reset():
    """Forget everything read, so the next call to library() reads content/ again (tests)."""
    global _library
    with _library_lock:
        _library = None
