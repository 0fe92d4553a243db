"""The student's feedback page and the instructor's summary, as they are read.

The feedback page reads top-down: "What to fix first" before the details, passed checks
folded, points as the notebook writes them, no sandbox jargon. The summary says who
(students by function, linked to their pages), why (students per likely cause) and what
went wrong on the grader's side, apart. Nothing is graded here: the results are a real
grading's (``tests/data/feedback/results.json``, with likely causes as the diagnosis
writes them) and variations of it.

The last test takes screenshots of both pages in headless Chromium at 1280 and 400 px
and checks them: the page never scrolls sideways, "What to fix first" is above the
functions. Without Chromium it is skipped, saying how to install it;
``AUTOGRADER_INSTALL_CHROMIUM=1`` lets it install Chromium with apt-get (as root), and
``AUTOGRADER_SCREENSHOTS=DIR`` keeps the screenshots in DIR.
"""
import copy
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import zlib
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from autograder.messages import say
from autograder.report import feedback, summary
from autograder.report.grades import Graded

DATA = Path(__file__).parent / "data" / "feedback"
ASSIGNMENT = "pooling"
TIES = "the gradient is sent to every tied maximum, not to the first one only."
MASK = "the mask marks every tied maximum (x == np.max(x)), not the first one only."
HOSTILE = 'mallory<img src=x onerror="alert(1)">&amp;'
WIDTHS = (1280, 400)


def _results() -> dict:
    return json.loads((DATA / "results.json").read_text())


def _function_of(test: dict) -> str:
    return test["tags"][0]


def _passing(data: dict, *functions) -> dict:
    """``data`` with every check of ``functions`` (all, when none is named) passed."""
    data = copy.deepcopy(data)
    for test in data["tests"][1:]:
        if not functions or _function_of(test) in functions:
            test.update(score=test["max_score"], output="", status="passed")
    return _rescored(data)


def _failing(data: dict, function: str, output: str, first: int = 0, count: int = 1) -> dict:
    """``data`` with ``count`` checks of ``function``, from its ``first``, failed with ``output``."""
    data = copy.deepcopy(data)
    checks = [test for test in data["tests"][1:] if _function_of(test) == function]
    for test in checks[first:first + count]:
        test.update(score=0.0, output=output, status="failed")
    return _rescored(data)


def _rescored(data: dict) -> dict:
    data["score"] = round(sum(test["score"] for test in data["tests"]), 6)
    return data


def _not_graded(reason: str) -> dict:
    data = copy.deepcopy(_results())
    for test in data["tests"][1:]:
        test.update(score=0.0, output=say("course.not_graded"), status="failed")
    data["tests"][0]["output"] = say("course.not_graded")
    data["extra_data"].update(autograder_failed=True, internal_errors=[reason])
    return _rescored(data)


def _course() -> list:
    """A class of one assignment: full marks, the fixture's own, students sharing a
    likely cause, a timeout without one, a grader error in one check, a submission the
    autograder could not grade, one its sandbox was weaker for, and a hostile name."""
    real, clean = _results(), _passing(_results())
    mismatch = "`dx` differs from the expected values: max error 1.5 at [0, 1, 1, 0]; 4 of 32 entries are off " \
               "(rtol=1e-07, atol=1e-09). Case: dout (1, 3, 3, 2) float64, cache (a tuple of 4), " \
               "x (1, 4, 4, 2) float64, pool_size=2, stride=1, mode='max'."
    ties = _failing(clean, "pool_backward", f"{mismatch}\nLikely cause: {TIES}", first=7, count=2)
    timeout = _failing(clean, "pool_backward", "`pool_backward` did not finish within 3.0 s and was stopped. "
                       "Look for an infinite loop. Case: dout (3, 1, 4, 2) float64, cache (a tuple of 4).", count=3)
    internal = _failing(clean, "distribute_value", say("report.internal_error"))
    internal["extra_data"]["internal_errors"] = ["distribute_value: every entry is dz / (f_h * f_w)\nTraceback ..."]
    weak = copy.deepcopy(ties)
    weak["extra_data"]["sandbox"] = [*weak["extra_data"]["sandbox"],
                                     say("notebook.no_isolation", features=say("sandbox.network"))]
    students = {"ada": clean, "ben": real, "cleo": timeout, "dmitri": ties, "emre": ties, "fatou": ties,
                "gwen": internal, "hiro": _not_graded("grading took over 600 s and was stopped"), "ines": weak,
                "jon": _failing(real, "pool_forward", "`pool_forward` raised IndexError: index 4 is out of bounds. "
                                "Case: x (2, 5, 5, 3) float64, pool_size=2, stride=2, mode='max'.", count=25)}
    return [Graded(student, ASSIGNMENT, data, Path(student) / ASSIGNMENT) for student, data in students.items()]


class _Page(HTMLParser):
    """The elements of a page, each with its tag, attributes, text and enclosing tags."""

    def __init__(self, text: str):
        super().__init__()
        self.elements, self._open = [], []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        element = {"tag": tag, "attrs": dict(attrs), "text": "", "inside": [e["tag"] for e in self._open]}
        self.elements.append(element)
        if tag not in ("meta", "br", "wbr", "img", "input", "link"):
            self._open.append(element)

    def handle_endtag(self, tag):
        while self._open:
            if self._open.pop()["tag"] == tag:
                break

    def handle_data(self, data):
        for element in self._open:
            element["text"] += data

    def having(self, tag: str, css_class: str = None) -> list:
        return [e for e in self.elements if e["tag"] == tag and
                (css_class is None or css_class in e["attrs"].get("class", "").split())]


# ---- points ---------------------------------------------------------------------------

@pytest.mark.parametrize("value, shown", [(0.166667, "0.17"), (0.25, "0.25"), (1.5, "1.5"), (2.0, "2"), (2, "2"),
                                          (0.500001, "0.5"), (9.7, "9.7"), (0.0, "0"), (-0.0, "0"), (12.0, "12"),
                                          (0.35, "0.35"), (3.95, "3.95"), (1 / 3, "0.33")])
def test_points_read_as_in_the_notebook(value, shown):
    assert feedback.points(value) == shown


def test_points_on_the_page_are_short_and_never_wrap():
    page = feedback.render(_results(), ASSIGNMENT)
    shown = [e["text"] for e in _Page(page).having("span", "points")] + \
        [e["text"] for e in _Page(page).having("strong", "points")]
    assert len(shown) > 40
    for text in shown:
        assert re.fullmatch(r"\d+(\.\d\d?)? / \d+(\.\d\d?)?", text), text
    assert "0.166667" not in page and "0.16666" not in page
    assert re.search(r"\.points \{[^}]*white-space: nowrap", page)


# ---- the feedback page -----------------------------------------------------------------

def test_fix_first_comes_first_with_one_line_per_failing_function():
    data = _results()
    page = feedback.render(data, ASSIGNMENT)
    assert page.index('class="fix-first') < page.index("<section>")
    items = [e for e in _Page(page).having("li") if "nav" in e["inside"]]
    failing = list(dict.fromkeys(_function_of(t) for t in data["tests"][1:] if t["status"] == "failed"))
    assert failing == ["create_mask_from_window", "pool_backward"]
    assert [item["text"].split()[0] for item in items] == failing  # in the notebook's order
    mask, backward = (" ".join(item["text"].split()) for item in items)
    assert "[ties]" in mask and "Likely cause: " + MASK in mask  # the first failing check, and its diagnosis
    assert "[ties after a ReLU]" in backward and "Likely cause: " + TIES in backward
    assert "(+4 more failing)" in mask and "(+2 more failing)" in backward
    assert [e["attrs"]["href"] for e in _Page(page).having("a") if "nav" in e["inside"]] == [
        "#function-create_mask_from_window", "#function-pool_backward"]
    assert {e["attrs"]["id"] for e in _Page(page).having("h2")} >= {"function-create_mask_from_window",
                                                                     "function-pool_backward"}


def test_without_a_likely_cause_the_message_is_the_diagnosis():
    message = "`pool_backward` did not finish within 3.0 s and was stopped. Look for an infinite loop. " \
              "Case: dout (3, 1, 4, 2) float64, cache (a tuple of 4)."
    data = _failing(_passing(_results()), "pool_backward", message, first=2, count=2)
    (item,) = [e for e in _Page(feedback.render(data, ASSIGNMENT)).having("li") if "nav" in e["inside"]]
    assert message in " ".join(item["text"].split()) and "Likely cause" not in item["text"]
    assert say("report.values_only") not in item["text"]  # a timeout is no wrong value


def test_a_check_failed_only_on_its_values_says_so():
    page = _Page(feedback.render(_results(), ASSIGNMENT))
    flagged = page.having("div", "values-only") + page.having("span", "values-only")
    assert flagged and all(e["text"] == say("report.values_only") for e in flagged)
    assert feedback.values_only(say("value.wrong_number", name="loss", got="0.5", case="x (2, 3) float64"))
    assert not feedback.values_only(say("value.wrong_shape", name="dx", got=(2, 3), expected=(3, 2), case="x"))
    assert not feedback.values_only(say("value.not_finite", name="dx", index=[0, 1], case="x"))
    assert feedback.values_only(say("value.wrong_marks", name="the mask", index=[1, 0], count=2, total=4, case="w"))
    assert not feedback.values_only(say("value.not_bool", name="the mask", got="float64", case="w"))


def test_passed_checks_are_folded_and_failed_ones_are_not():
    data = _results()
    page = _Page(feedback.render(data, ASSIGNMENT))
    passed, failed = page.having("li", "passed"), page.having("li", "failed")
    assert len(passed) == sum(t["status"] == "passed" for t in data["tests"][1:])
    assert len(failed) == sum(t["status"] == "failed" for t in data["tests"][1:])
    assert all("details" in e["inside"] for e in passed)
    assert not any("details" in e["inside"] for e in failed)
    assert [e["text"] for e in page.having("summary")] == ["Passed checks (3)", "Passed checks (5)",
                                                          "Passed checks (25)", "Passed checks (12)"]
    assert not any("open" in e["attrs"] for e in page.having("details"))


def test_the_notebook_box_has_no_sandbox_jargon():
    data = _results()
    assert data["extra_data"]["sandbox"][0].startswith("Sandbox:")
    data["extra_data"]["sandbox"].append(say("notebook.no_isolation", features=say("sandbox.network")))
    page = feedback.render(data, ASSIGNMENT)
    assert "Sandbox" not in page and say("sandbox.user") not in page and say("sandbox.network") not in page
    (box,) = _Page(page).having("div", "notebook")
    assert box["text"] == say("notebook.ran")


def test_a_notebook_that_raised_is_the_first_thing_to_fix():
    data = _results()
    data["tests"][0]["output"] = "\n".join([say("notebook.cell_errors"), "In [4]: NameError: name 'np' is not defined"])
    page = _Page(feedback.render(data, ASSIGNMENT))
    (box,) = page.having("div", "notebook")
    assert "problem" in box["attrs"]["class"] and "nav" in box["inside"] and "NameError" in box["text"]
    items = [e for e in page.having("li") if "nav" in e["inside"]]
    assert len(items) == 3 and "NameError" in items[0]["text"] and "Sandbox" not in items[0]["text"]


def test_functions_the_notebook_kept_from_running_are_not_listed_again():
    data = _results()
    data["tests"][0]["output"] = say("notebook.unreadable", reason="Expecting value: line 1 column 1 (char 0)")
    for test in data["tests"][1:]:
        test.update(score=0.0, status="failed", output=say("call.unavailable", function=_function_of(test)))
    page = _Page(feedback.render(_rescored(data), ASSIGNMENT))
    (item,) = [e for e in page.having("li") if "nav" in e["inside"]]
    assert "could not be read as a Jupyter notebook" in item["text"]
    assert len(page.having("section")) == 4 and len(page.having("li", "failed")) == len(data["tests"]) - 1


def test_a_students_own_words_are_shown_as_they_are():
    data = _results()
    said = "\n".join(["In [3]: ValueError: oops", "Sandbox: a line of the student's own", say("notebook.ran")])
    data["tests"][0]["output"] = said
    (box,) = _Page(feedback.render(data, ASSIGNMENT)).having("div", "notebook")
    assert "Sandbox: a line of the student's own" in box["text"]


def test_all_passed_says_nothing_to_fix():
    page = _Page(feedback.render(_passing(_results()), ASSIGNMENT))
    (block,) = page.having("nav")
    assert say("report.nothing_to_fix") in block["text"] and "done" in block["attrs"]["class"]
    assert not page.having("li", "failed")


def test_a_submission_not_graded_says_so_once_and_lists_no_fixes():
    page = feedback.render(_not_graded("the grading process was killed by SIGKILL"), ASSIGNMENT)
    assert "not your fault" in page and page.count(say("course.not_graded")) == 1
    assert "SIGKILL" not in page  # the instructor's
    assert not _Page(page).having("nav") and ">failed<" not in page
    assert page.count("<section>") == 4


def test_strings_from_a_grading_are_escaped():
    data = _failing(_results(), "pool_forward", '<script>alert("x")</script> & more\nLikely cause: <b>bold</b>')
    page = feedback.render(data, ASSIGNMENT)
    assert "<script>" not in page and "<b>" not in page
    assert "&lt;script&gt;" in page and "Likely cause: &lt;b&gt;bold&lt;/b&gt;" in page


# ---- the summary -----------------------------------------------------------------------

def test_summary_links_every_student_to_their_feedback(tmp_path):
    course = _course() + [Graded(HOSTILE, ASSIGNMENT, _results(), Path("x"))]
    page = summary.render(course)
    assert "<img" not in page and "mallory&lt;img" in page
    links = {e["text"]: e["attrs"]["href"] for e in _Page(page).having("a") if "td" in e["inside"]
             and e["text"] in {g.student for g in course}}
    assert links["ben"] == "./ben/pooling/feedback.html"
    assert links[HOSTILE] == ("./mallory%3Cimg%20src%3Dx%20onerror%3D%22alert%281%29%22%3E%26amp%3B"
                              "/pooling/feedback.html")
    for g in course:  # every link, anchors included, leads to a page written where results.write puts it
        (tmp_path / g.student / ASSIGNMENT).mkdir(parents=True)
        (tmp_path / g.student / ASSIGNMENT / "feedback.html").write_text(feedback.render(g.results, ASSIGNMENT))
    for element in _Page(page).having("a"):
        address = urlsplit(element["attrs"]["href"])
        target = tmp_path / unquote(address.path)
        assert target.is_file(), element
        if address.fragment:
            assert f'id="{address.fragment}"' in target.read_text()


def test_summary_table_has_each_students_points_per_function():
    page = _Page(summary.render(_course()))
    assert len(page.having("table", "students")) == 1
    rows = {" ".join(e["text"].split()).split(" ")[0]: " ".join(e["text"].split()) for e in page.having("tr")
            if "tbody" in e["inside"]}
    assert rows["ada"] == "ada 12 / 12 2 1 4 5"
    assert rows["ben"] == "ben 9.7 / 12 0.75 1 4 3.95"
    assert rows["jon"].startswith("jon 5.7 / 12 0.75 1 0 3.95")
    header = " ".join(" ".join(e["text"].split()) for e in page.having("th") if "thead" in e["inside"])
    assert header == "student total create_mask_from_window / 2 distribute_value / 1 pool_forward / 4 pool_backward / 5"


def test_grader_errors_are_flagged_apart_from_student_zeros():
    page = summary.render(_course())
    parsed = _Page(page)
    (hiro,) = [e for e in parsed.having("tr", "not-graded")]
    assert "hiro" in hiro["text"] and "grading took over 600 s" in hiro["text"]
    assert say("course.summary_grader_failed", reason="grading took over 600 s and was stopped") in hiro["text"]
    assert not [e for e in parsed.having("td", "zero") if "hiro" in e["text"]]
    (flag,) = parsed.having("span", "flag")
    assert flag["text"] == say("course.summary_internal_one")
    assert "9 submissions" in page and ", 0 with none" in page  # hiro is not a zero among the graded
    assert say("course.summary_not_graded", count=1) in page


def test_summary_counts_students_per_likely_cause():
    page = _Page(summary.render(_course()))
    causes = [" ".join(e["text"].split()) for e in page.having("summary") if "ul" in e["inside"]]
    assert f"6 students: {TIES}" in causes  # ben, dmitri, emre, fatou, ines and jon
    assert f"2 students: {MASK}" in causes  # ben and jon
    no_cause = say("course.summary_cause_one", count=1, cause=say("course.summary_no_cause"))
    assert causes.count(no_cause) == 2  # cleo's timeout, jon's IndexError: each in its own function
    assert causes.index(f"6 students: {TIES}") < max(i for i, c in enumerate(causes) if c == no_cause)
    names = [e["text"] for e in page.having("a") if "details" in e["inside"] and e["attrs"]["href"].endswith(
        "#function-pool_backward")]
    assert names == ["ben", "dmitri", "emre", "fatou", "ines", "jon", "cleo"]  # who, by cause
    assert "gwen" not in names  # a grader error in a check is no student's cause


def test_sandbox_lines_are_the_instructors():
    page = _Page(summary.render(_course()))
    lines = [e for e in page.having("li") if "ul" in e["inside"] and e["text"].startswith("Sandbox")]
    assert len(lines) == 2
    weaker = [e for e in lines if "warning" in e["attrs"].get("class", "")]
    assert len(weaker) == 1 and say("sandbox.network") in weaker[0]["text"]
    assert "(1 of 10 submissions)" in weaker[0]["text"]


LONG_NAMES = [
    "pool_backward: dx is the gradient of the forward pass [overlapping, stride that does not divide]",
    "gru_backward: dx, dh0 and grads (summed over time) equal the gradients of the sequence "
    "[largest sizes, float32, reset_after=False]",
    "conv_output_size: raises ValueError naming the bad argument (and works on good ones) [kernel too large]",
    "make_optimizer: 'adam': six steps equal TF1's AdamOptimizer (epsilon 1e-8)",
    "fit: reaches 90% accuracy on held-out digits within the time budget",
    "short",
    "create_mask_from_window_with_a_name_longer_than_any_line: ok",
]


@pytest.mark.parametrize("name", LONG_NAMES + [t["name"] for t in _results()["tests"][1:]])
def test_chart_labels_break_between_words_only(name):
    label = summary.chart_label(name)
    words = set(name.split())
    lines = label.split("\n")
    assert len(lines) <= summary.LABEL_LINES or len(name.split()) <= summary.LABEL_LINES
    for line in lines:
        for word in line.replace("\N{NO-BREAK SPACE}", " ").split():
            assert word in words or word == "…", (word, label)
    shown = label.replace("\n", " ").replace("\N{NO-BREAK SPACE}", " ").split()
    assert shown[0] == name.split()[0]  # the function stays
    if name.endswith("]") and "[" in name:
        case = name[name.rindex("["):].split()
        assert shown[-len(case):] == case  # and so does the case


@pytest.mark.skipif(not summary.PLOTS, reason="matplotlib is not installed: the summary has no charts")
def test_the_chart_shows_whole_words():
    course = _course()
    page = summary.render(course)
    assert page.count("<svg") == 2
    chart = page[page.index("<svg", page.index("<svg") + 1):]
    texts = [re.sub(r"<[^>]+>", "", text) for text in re.findall(r"<text\b[^>]*>(.*?)</text>", chart, re.S)]
    words = {word for g in course for test in g.results["tests"] for word in test["name"].split()}
    label_words = [word for text in texts for word in text.replace("\N{NO-BREAK SPACE}", " ").split()
                   if not re.fullmatch(r"\d+%|share|of|submissions|failing", word)]
    assert label_words and all(word in words or word == "…" for word in label_words), label_words


# ---- screenshots -----------------------------------------------------------------------

PROBE = """<div id="probe-a" style="position:fixed;left:0;top:0;width:4px;height:4px;z-index:2147483647"></div>
<div id="probe-b" style="position:fixed;left:4px;top:0;width:4px;height:4px;z-index:2147483647"></div>
<script>
function probe() {
  var page = document.documentElement, height = Math.min(page.scrollHeight, 65535);
  var over = page.scrollWidth > window.innerWidth ? 255 : 0;
  var fix = document.querySelector(".fix-first"), section = document.querySelector("section");
  var first = fix && section && fix.getBoundingClientRect().bottom <= section.getBoundingClientRect().top ? 255 : 0;
  var colour = "rgb(" + over + "," + (height >> 8) + "," + (height & 255) + ")";
  document.getElementById("probe-a").style.background = colour;
  document.getElementById("probe-b").style.background = "rgb(" + first + ",0,0)";
}
probe(); addEventListener("resize", probe); addEventListener("load", probe);
</script>
"""
INSTALL = ("headless Chromium is not installed, so the feedback page and the summary were not screenshot. "
           "Install it (Debian: apt-get install chromium; Ubuntu: the chromium snap or Google Chrome), or run "
           "`make screenshots` as root, which sets AUTOGRADER_INSTALL_CHROMIUM=1 to install it with apt-get.")


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if shutil.which(name):
            return shutil.which(name)
    if os.environ.get("AUTOGRADER_INSTALL_CHROMIUM") == "1" and os.geteuid() == 0 and shutil.which("apt-get"):
        for command in (["apt-get", "update"], ["apt-get", "install", "-y", "--no-install-recommends", "chromium"]):
            done = subprocess.run(command, check=False, timeout=900, capture_output=True, text=True,
                                  env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
            if done.returncode:
                pytest.skip(f"{' '.join(command)} failed, so Chromium is not installed: {done.stderr[-500:]}")
        return shutil.which("chromium")
    return None


def _screenshot(chromium: str, page: Path, png: Path, width: int, height: int, profile: Path) -> None:
    command = [chromium, "--headless", "--disable-gpu", "--no-sandbox", "--disable-dev-shm-usage", "--no-first-run",
               "--hide-scrollbars", "--force-device-scale-factor=1", f"--user-data-dir={profile}",
               f"--window-size={width},{height}", f"--screenshot={png}", page.as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and png.is_file(), done.stderr[-2000:]


def _png(path: Path) -> tuple:
    """``(width, height, rows)`` of a PNG, 8-bit RGB or RGBA, not interlaced: rows of pixel tuples."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    position, idat = 8, b""
    while position < len(data):
        (length,), kind = struct.unpack(">I", data[position:position + 4]), data[position + 4:position + 8]
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    assert depth == 8 and colour in (2, 6) and not interlace, (depth, colour, interlace)
    channels = 3 if colour == 2 else 4
    raw, stride, rows, previous = zlib.decompress(idat), width * channels, [], bytearray(width * channels)
    for y in range(min(height, 8)):  # the probes are in the first rows
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up, corner = previous[x], previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + left) & 255
            elif kind == 2:
                line[x] = (line[x] + up) & 255
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 255
            elif kind == 4:
                estimate = left + up - corner
                distances = (abs(estimate - left), abs(estimate - up), abs(estimate - corner))
                line[x] = (line[x] + (left, up, corner)[distances.index(min(distances))]) & 255
        rows.append([tuple(line[x:x + 3]) for x in range(0, stride, channels)])
        previous = line
    return width, height, rows


def test_screenshots_at_desktop_and_phone_widths(tmp_path):
    chromium = _chromium()
    if chromium is None:
        pytest.skip(INSTALL)
    out = Path(os.environ.get("AUTOGRADER_SCREENSHOTS") or tmp_path / "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    course = _course()
    tree = tmp_path / "graded"
    for g in course:
        (tree / g.student / ASSIGNMENT).mkdir(parents=True)
        (tree / g.student / ASSIGNMENT / "feedback.html").write_text(feedback.render(g.results, ASSIGNMENT))
    (tree / "summary.html").write_text(summary.render(course))
    pages = {"feedback": tree / "ben" / ASSIGNMENT / "feedback.html", "summary": tree / "summary.html"}
    for kind, page in pages.items():
        probed = page.with_name(f".probe-{page.name}")
        probed.write_text(page.read_text().replace("</body>", PROBE + "</body>"))
        for width in WIDTHS:
            probe = tmp_path / f"probe-{kind}-{width}.png"
            _screenshot(chromium, probed, probe, width, 120, tmp_path / "profile")
            _, _, rows = _png(probe)
            (over, high, low), (first, _, _) = rows[1][1], rows[1][5]
            assert over == 0, f"the {kind} page scrolls sideways at {width} px"
            height = (high << 8) + low
            assert height > 300, (kind, width, height)
            if kind == "feedback":
                assert first == 255, f"'What to fix first' is not above the functions at {width} px"
            shot = out / f"{kind}-{width}.png"
            _screenshot(chromium, page, shot, width, min(height, 12000), tmp_path / "profile")
            shown_width, shown_height, _ = _png(shot)
            assert (shown_width, shown_height) == (width, min(height, 12000)), shot


def test_the_summarys_charts_are_prepared_in_the_background_at_the_lowest_priority_of_that_thread_alone():
    before = os.getpriority(os.PRIO_PROCESS, 0)  # on Linux, this thread's
    preparing = summary.prepare_in_background()
    preparing.join(120)
    assert not preparing.is_alive() and "matplotlib.figure" in sys.modules
    assert os.getpriority(os.PRIO_PROCESS, 0) == before  # the batch itself keeps its priority
