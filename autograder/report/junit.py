"""JUnit XML for CI systems: one test suite per graded notebook, one test case per check,
each failed check carrying the feedback the student reads."""
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from autograder.report.results import write_text_atomically


def write(path: Path, graded: list) -> None:
    """``graded``: ``[(suite name, results.json data)]``."""
    suites = ElementTree.Element("testsuites")
    for name, data in graded:
        tests = data.get("tests", [])
        failed = [test for test in tests if test.get("score", 0) < test.get("max_score", 0)]
        suite = ElementTree.SubElement(suites, "testsuite", name=name, tests=str(len(tests)),
                                       failures=str(len(failed)), time=f"{data.get('execution_time', 0):.3f}")
        for test in tests:
            case = ElementTree.SubElement(suite, "testcase", name=str(test.get("name", "")), classname=name)
            if test in failed:
                failure = ElementTree.SubElement(case, "failure",
                                                 message=f"{test['score']:g} of {test['max_score']:g} points")
                failure.text = str(test.get("output", ""))
    ElementTree.indent(suites)
    write_text_atomically(Path(path), ElementTree.tostring(suites, encoding="unicode", xml_declaration=True) + "\n")
