"""GitHub, each route run the way its platform runs it, on this machine alone.

- **Students' repositories** (``docs/github/visible-checks.yml``): a student's repository,
  cloned from a git repository as Actions checks it out, runs the workflow's steps as
  written; a full-marks notebook passes, a released one scores zero and fails the run,
  and the job summary says so either way.
- **The instructor's repository** (``docs/github/grade-students.yml``): its three jobs run
  as Actions runs them (each on a machine of its own, files passed as artifacts), against
  an organisation whose repositories are local git repositories listed by a stand-in for
  GitHub's API: collected, graded in two shards, merged, summarised, and told their
  grades as commit statuses.
- **Classroom 50** (``docs/github/classroom50/``): the bundle its Pages site publishes,
  extracted and run as its ``runner.py`` runs an autograder, writes the ``result.json``
  its runner validates; the instructor's workflow collects the newest ``submit/*`` tag.

And the workflows' rules: they parse, every action is pinned by commit, nothing meant for
a student's repository holds a secret, and every reporting step runs ``if: always()``.
Only ``make`` (the kit is installed already) and ``sudo`` (nothing here may change the
kernel's settings) are stand-ins; pip installs nothing (the packages are in this Python).
"""
import ast
import base64
import csv
import fnmatch
import http.server
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import threading
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
import yaml
from conftest import ROOT

from autograder import assignments, cli
from autograder.course import shards
from autograder.platforms import classroom

GITHUB = ROOT / "docs" / "github"
STUDENT_SIDE = ["visible-checks.yml"]  # workflows for students' repositories: no secret may appear
INSTRUCTOR_SIDE = ["grade-students.yml"]
CONV = assignments.load("conv")
POINTS = 12  # the conv notebook's visible tests, and its hidden ones
TOKEN = "test-course-token-4f1c9e"
ORG = "dl-course"
SEED = "7"
SHARDS = 2
BIN = Path(sys.executable).parent
# the template repository's layout (README.md beside the workflows says the same)
TEMPLATE = {"visible-checks.yml": ".github/workflows/visible-checks.yml", "visible_checks.py": ".github/visible_checks.py"}


def _workflow(name: str) -> dict:
    return yaml.safe_load((GITHUB / name).read_text())


def _steps(workflow: dict):
    for job in workflow["jobs"].values():
        yield from job["steps"]


# The workflows' rules ----------------------------------------------------------------------


@pytest.mark.parametrize("name", STUDENT_SIDE + INSTRUCTOR_SIDE)
def test_workflow_parses_and_pins_every_action_by_commit(name):
    text = (GITHUB / name).read_text()
    workflow = yaml.safe_load(text)
    assert workflow[True] and workflow["permissions"] == {"contents": "read"}  # YAML 1.1 reads "on" as True
    scheduling = (ROOT / "docs" / "scheduling" / "github-actions.yml").read_text()
    for step in _steps(workflow):
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
            assert re.search(rf"{re.escape(step['uses'])}\s+# v\d", text), f"{step['uses']}: say which tag"
            assert step["uses"] in scheduling, f"{step['uses']}: the kit pins each action once"


@pytest.mark.parametrize("name", STUDENT_SIDE + INSTRUCTOR_SIDE)
def test_every_autograder_command_is_a_real_one(name):
    commands = []
    for step in _steps(_workflow(name)):
        script = re.sub(r"\$\{\{[^}]*}}", "1", step.get("run", ""))
        for match in re.finditer(r"(?:\.venv/bin/)?\bautograder\s+([^)>|;&\n]+)", script):
            commands.append(shlex.split(match.group(1)))
    for arguments in commands:
        cli.parser().parse_args(arguments)  # exits on an unknown command or option
    assert commands or name in STUDENT_SIDE


def test_nothing_meant_for_a_students_repository_holds_a_secret():
    files = [GITHUB / name for name in STUDENT_SIDE] + [GITHUB / "visible_checks.py",
                                                        GITHUB / "classroom50" / "autograder.py"]
    for path in files:
        text = path.read_text()
        assert "secrets." not in text and "TOKEN" not in text, path
    for path in files[len(STUDENT_SIDE):]:  # and they need nothing of the kit: the standard library only
        tree = ast.parse(path.read_text())
        imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                    for alias in node.names}
        imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom) and node.module}
        assert imported <= set(sys.stdlib_module_names) | {"visible_checks"}, (path, imported)


def test_the_token_stays_out_of_the_jobs_that_run_student_code():
    workflow = _workflow("grade-students.yml")
    for job_name, job in workflow["jobs"].items():
        for step in job["steps"]:
            secrets = re.findall(r"secrets\.\w+", json.dumps(step))
            assert not re.search(r"\$\{\{[^}]*secrets", step.get("run", ""))  # only through env
            if secrets:
                assert job_name != "grade" and set(secrets) == {"secrets.COURSE_TOKEN"}
                assert "autograder grade" not in step.get("run", "")
            # inputs reach scripts through env only: an input cannot inject shell
            assert not re.search(r"\$\{\{\s*(inputs|github\.event)", step.get("run", "")), step


@pytest.mark.parametrize("name", STUDENT_SIDE + INSTRUCTOR_SIDE)
def test_reporting_steps_run_whatever_happened_before(name):
    reporting = [step for step in _steps(_workflow(name))
                 if "upload-artifact" in step.get("uses", "") or "GITHUB_STEP_SUMMARY" in step.get("run", "")
                 or " status " in step.get("run", "")]
    assert reporting
    assert all("always()" in str(step.get("if", "")) for step in reporting), reporting


def test_the_pins_are_the_kits():
    locked = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==")
            locked[re.sub(r"[-_.]+", "-", name).lower()] = version.strip()
    student = _workflow("visible-checks.yml")["env"]["PACKAGES"].split()
    bundle = ast.literal_eval(re.search(r"PACKAGES = (\{.*?})", (GITHUB / "classroom50" / "autograder.py").read_text()).group(1))
    assert {p.split("==")[0]: p.split("==")[1] for p in student} == bundle
    for name, version in bundle.items():
        assert locked[name] == version, name


# Running a workflow as Actions does ----------------------------------------------------------


class Actions:
    """Runs a workflow's jobs: each job in a workspace of its own, ``run:`` steps in
    bash with ``-eo pipefail`` as a runner's default shell, ``${{ }}`` filled from
    ``context``, step ``if:`` conditions evaluated, and the artifact actions copying
    files between workspaces as they do (one folder uploaded: its content; several
    paths: from their common folder; hidden files left out; a pattern downloads each
    artifact into a folder of its name)."""

    def __init__(self, root: Path, context: dict, environment: dict = None):
        self.root, self.context = root, context
        self.artifacts = root / "artifacts"
        self.artifacts.mkdir(parents=True, exist_ok=True)
        self.stubs = root / "stubs"
        self.stubs.mkdir(exist_ok=True)
        for name in ("make", "sudo"):
            stub = self.stubs / name
            stub.write_text(f'#!/bin/sh\necho "{name} $*" >> "{self.stubs}/calls"\n')
            stub.chmod(0o755)
        self.environment = {**os.environ, **(environment or {}), "GITHUB_ACTIONS": "true", "CI": "true",
                            "PATH": os.pathsep.join([str(self.stubs), str(BIN), os.environ["PATH"]]),
                            # the runner has the packages already: pip must find them, and download nothing
                            "PIP_NO_INDEX": "1", "PIP_NO_DEPS": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1",
                            "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}  # the API stand-in

    def expand(self, text, extra: dict = None) -> str:
        context = {**self.context, **(extra or {})}
        return re.sub(r"\$\{\{\s*([\w.-]+)\s*}}", lambda m: str(context[m.group(1)]), str(text))

    def condition(self, expression, failed: bool, extra: dict = None) -> bool:
        if expression is None:
            return not failed
        context = {**self.context, **(extra or {})}
        python = re.sub(r"\$\{\{|}}", "", str(expression))
        python = re.sub(r"\b(always|success|failure)\(\)",
                        lambda m: str({"always": True, "success": not failed, "failure": failed}[m.group(1)]), python)
        python = re.sub(r"\b[a-z][\w-]*(?:\.[\w-]+)+", lambda m: repr(context[m.group(0)]), python)
        python = re.sub(r"!(?!=)", " not ", python.replace("&&", " and ").replace("||", " or "))
        return bool(eval(python, {"__builtins__": {}}))  # noqa: S307 - our own workflows' expressions

    def scratch(self, workspace: Path) -> Path:
        """The runner's own files for the job in ``workspace``: summary.md, log, temp/."""
        folder = self.root / "runner" / workspace.name
        (folder / "temp").mkdir(parents=True, exist_ok=True)
        return folder

    def job(self, workflow: dict, name: str, workspace: Path, extra: dict = None) -> list:
        """Run job ``name`` in ``workspace``; ``[(step, return code or None if skipped)]``."""
        job, extra, scratch = workflow["jobs"][name], extra or {}, self.scratch(workspace)
        (scratch / "summary.md").touch()
        environment = {**self.environment, "GITHUB_WORKSPACE": str(workspace),
                       "GITHUB_STEP_SUMMARY": str(scratch / "summary.md"), "GITHUB_OUTPUT": str(scratch / "output"),
                       "RUNNER_TEMP": str(scratch / "temp")}
        environment.update({k: self.expand(v, extra) for k, v in workflow.get("env", {}).items()})
        environment.update({k: self.expand(v, extra) for k, v in job.get("env", {}).items()})
        outcomes, failed = [], False
        for step in job["steps"]:
            if not self.condition(step.get("if"), failed, extra):
                outcomes.append((step, None))
                continue
            if "run" in step:
                step_environment = {**environment, **{k: self.expand(v, extra) for k, v in step.get("env", {}).items()}}
                done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
                                       self.expand(step["run"], extra)], cwd=workspace, env=step_environment,
                                      capture_output=True, text=True, timeout=600)
                with open(scratch / "log", "a") as log:
                    log.write(f"$ {step['run']}\n{done.stdout}{done.stderr}\n")
                code = done.returncode
            else:
                code = self.action(step, workspace, extra)
            failed |= code != 0
            outcomes.append((step, code))
        return outcomes

    def action(self, step: dict, workspace: Path, extra: dict) -> int:
        action, options = step["uses"].split("@")[0], {k: self.expand(v, extra) for k, v in step.get("with", {}).items()}
        if action in ("actions/checkout", "actions/setup-python"):
            return 0  # the workspace holds the repository; this Python is on PATH
        if action == "actions/upload-artifact":
            paths = [workspace / p.strip() for p in options["path"].splitlines() if p.strip()]
            found = [p for p in paths if p.exists()]
            if not found:
                return 1 if options.get("if-no-files-found", "warn") == "error" else 0
            base = found[0] if len(found) == 1 and found[0].is_dir() else Path(os.path.commonpath(
                [p if p.is_dir() else p.parent for p in found]))
            target = self.artifacts / options["name"]
            assert not target.exists(), f"artifact {options['name']} uploaded twice"
            hidden = shutil.ignore_patterns(".*")  # left out unless include-hidden-files (upload-artifact v4.4+)
            for path in found:
                if path == base:
                    shutil.copytree(path, target, ignore=hidden)
                elif path.is_dir():
                    shutil.copytree(path, target / path.relative_to(base), ignore=hidden)
                elif not path.name.startswith("."):
                    (target / path.relative_to(base)).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, target / path.relative_to(base))
            return 0
        if action == "actions/download-artifact":
            destination = workspace / options.get("path", ".")
            if "name" in options:
                shutil.copytree(self.artifacts / options["name"], destination, dirs_exist_ok=True)
            else:
                for artifact in sorted(self.artifacts.iterdir()):
                    if fnmatch.fnmatchcase(artifact.name, options["pattern"]):
                        shutil.copytree(artifact, destination / artifact.name, dirs_exist_ok=True)
            return 0
        raise AssertionError(f"no stand-in for {action}")


def _log(actions: Actions, workspace: Path) -> str:
    path = actions.scratch(workspace) / "log"
    return path.read_text()[-4000:] if path.exists() else ""


def _summary(actions: Actions, workspace: Path) -> str:
    return (actions.scratch(workspace) / "summary.md").read_text()


def _codes(outcomes) -> dict:
    """``{step's name (its action, or its command): return code, None if skipped}``."""
    return {step.get("name") or step.get("uses", "").split("@")[0] or step["run"]: code for step, code in outcomes}


# A GitHub organisation, on this machine ------------------------------------------------------


class FakeGitHub:
    """The two calls of GitHub's REST API the instructor's workflow makes: list an
    organisation's repositories (two to a page, linked as GitHub links them) and create
    a commit status. The repositories' clone URLs are local git repositories."""

    def __init__(self):
        self.repositories, self.requests, self.statuses = [], [], []
        github = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                github.requests.append(("GET", self.path, self.headers.get("Authorization")))
                url = urllib.parse.urlparse(self.path)
                page = int(urllib.parse.parse_qs(url.query).get("page", ["1"])[0])
                if not re.fullmatch(rf"/orgs/{ORG}/repos", url.path):
                    return self._reply(404, {"message": "Not Found"})
                chunk = github.repositories[2 * (page - 1):2 * page]
                link = (f'<{github.url}{url.path}?type=all&per_page=100&page={page + 1}>; rel="next"'
                        if 2 * page < len(github.repositories) else None)
                self._reply(200, chunk, link)

            def do_POST(self):
                github.requests.append(("POST", self.path, self.headers.get("Authorization")))
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                match = re.fullmatch(r"/repos/([\w.-]+)/([\w.-]+)/statuses/([0-9a-f]{40})", self.path)
                if not match:
                    return self._reply(404, {"message": "Not Found"})
                github.statuses.append({"repository": f"{match[1]}/{match[2]}", "sha": match[3], **body})
                self._reply(201, body)

            def _reply(self, code, data, link=None):
                payload = json.dumps(data).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                if link:
                    self.send_header("Link", link)
                self.end_headers()
                self.wfile.write(payload)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def add(self, folder: Path, template: bool = False):
        self.repositories.append({"name": folder.name, "full_name": f"{ORG}/{folder.name}",
                                  "clone_url": folder.as_uri(), "is_template": template})


GIT_IDENTITY = {"GIT_AUTHOR_NAME": "Student", "GIT_AUTHOR_EMAIL": "student@example.org",
                "GIT_COMMITTER_NAME": "Student", "GIT_COMMITTER_EMAIL": "student@example.org"}


def _git(folder: Path, *args) -> str:
    done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True,
                          env={**os.environ, **GIT_IDENTITY}, check=True)
    return done.stdout.strip()


def _student_repository(folder: Path, notebook=None, extra: dict = None) -> Path:
    """A repository made from the assignment's template: the visible checks as README.md
    says to copy them, the student's notebook, committed on main."""
    folder.mkdir(parents=True)
    _git(folder, "init", "--quiet", "--initial-branch", "main")
    for source, target in TEMPLATE.items():
        (folder / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(GITHUB / source, folder / target)
    if notebook is not None:
        nbformat.write(notebook, folder / "conv.ipynb")
    for path, text in (extra or {}).items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(text)
    _git(folder, "add", "--all")
    _git(folder, "commit", "--quiet", "--message", "work")
    return folder


def _students_in_both_shards() -> list:
    names = ["ada", "bob", "cleo", "dan", "eve", "fay", "gus", "hal", "ivy", "jon"]
    return [next(n for n in names if shards.shard_of(n, SHARDS) == shard) for shard in range(1, SHARDS + 1)]


@pytest.fixture(scope="module")
def organisation(tmp_path_factory):
    """An organisation: a full-marks student, a student who handed in the released
    notebook, one with no notebook, the template, and another assignment's repository."""
    root = tmp_path_factory.mktemp("github")
    github = FakeGitHub()
    full, zero = _students_in_both_shards()
    repos = root / "repos"
    github.add(_student_repository(repos / "conv-template", CONV.notebook("released")), template=True)
    github.add(_student_repository(repos / f"conv-{full}", CONV.notebook("source"),
                                   {".ipynb_checkpoints/conv-checkpoint.ipynb": "{}"}))
    github.add(_student_repository(repos / f"conv-{zero}", CONV.notebook("released")))
    github.add(_student_repository(repos / "conv-nobody", None, {"notes.txt": "no notebook here"}))
    github.add(_student_repository(repos / f"pooling-{full}", assignments.load("pooling").notebook("released")))
    (root / "cache").mkdir(mode=0o700)
    yield {"root": root, "github": github, "full": full, "zero": zero, "repos": repos}
    github.server.shutdown()


# Students' repositories -----------------------------------------------------------------------


def test_students_repository_runs_the_visible_checks(organisation, tmp_path):
    workflow = _workflow("visible-checks.yml")
    assert "secrets" not in json.dumps(workflow)

    def push(student):
        workspace = tmp_path / student  # actions/checkout: the pushed commit of the student's repository
        subprocess.run(["git", "clone", "--quiet", (organisation["repos"] / f"conv-{student}").as_uri(),
                        str(workspace)], check=True)
        actions = Actions(tmp_path / f"runner-{student}", {"github.ref": "refs/heads/main"})
        return workspace, actions, actions.job(workflow, "visible-checks", workspace)

    with ThreadPoolExecutor(2) as pool:  # two pushes, two runners
        runs = dict(zip(["full", "zero"], pool.map(push, [organisation["full"], organisation["zero"]])))
    for kind, (workspace, actions, outcomes) in runs.items():
        codes = _codes(outcomes)
        assert set(codes.values()) == ({0} if kind == "full" else {0, 1}), _log(actions, workspace)
        assert codes["Run the notebook and its visible tests"] == (0 if kind == "full" else 1)  # a red run
        assert codes["Job summary"] == 0 and codes["Upload the report"] == 0  # if: always()
        report = json.loads((actions.artifacts / "visible-checks" / "visible-checks.json").read_text())
        page = _summary(actions, workspace)
        score = POINTS if kind == "full" else 0
        assert report["score"] == score and report["max_score"] == POINTS and len(report["tests"]) == 5
        assert f"{score:g} / {POINTS} points" in page and "| `test_conv_forward` |" in page
        if kind == "zero":
            assert "**To fix**" in page and "NotImplementedError (in conv_forward)" in page
        else:
            assert "**To fix**" not in page
        assert "hidden tests" in page  # says these points are not the grade


# The instructor's repository ------------------------------------------------------------------


def _instructor_workspace(root: Path) -> Path:
    """A runner's checkout of the course kit's private repository."""
    root.mkdir(parents=True)
    for name in ("docs", "Makefile", ".venv"):  # the kit, installed (make is a stand-in)
        (root / name).symlink_to(ROOT / name)
    return root


def test_instructor_repository_grades_the_students_repositories(organisation):
    root, github = organisation["root"] / "instructor", organisation["github"]
    full, zero = organisation["full"], organisation["zero"]
    workflow = _workflow("grade-students.yml")
    inputs = {"inputs.assignment": "conv", "inputs.prefix": "conv-", "inputs.ref": "", "inputs.commit-status": True}
    actions = Actions(root, {"secrets.COURSE_TOKEN": TOKEN, "github.repository_owner": ORG, "github.run_id": SEED,
                             **inputs},
                      {"GITHUB_API_URL": github.url, "AUTOGRADER_CALIBRATION_CACHE": str(organisation["root"] / "cache")})

    collect = _codes(actions.job(workflow, "collect", _instructor_workspace(root / "collect")))
    assert set(collect.values()) == {0}, _log(actions, root / "collect")
    manifest = json.loads((actions.artifacts / "submitted" / "collected.json").read_text())
    by_student = {entry["student"]: entry for entry in manifest["students"]}
    assert set(by_student) == {full, zero, "nobody"}  # not the template, not another assignment's
    assert by_student["nobody"]["problem"] == "no notebook in the repository"
    assert by_student[full]["sha"] == _git(organisation["repos"] / f"conv-{full}", "rev-parse", "HEAD")
    submitted = actions.artifacts / "submitted" / "submitted"
    assert sorted(str(p.relative_to(submitted)) for p in submitted.rglob("*") if p.is_file()) == [
        f"{full}/conv/conv.ipynb", f"{zero}/conv/conv.ipynb"]  # the notebooks only, no checkpoints
    assert {request[2] for request in github.requests} == {f"Bearer {TOKEN}"} and len(github.requests) == 3  # 3 pages

    matrix = workflow["jobs"]["grade"]["strategy"]["matrix"]["shard"]
    for index, shard in enumerate(matrix[:SHARDS]):  # a machine per shard
        workspace = _instructor_workspace(root / f"grade-{shard}")
        grade = _codes(actions.job(workflow, "grade", workspace, {"matrix.shard": shard, "strategy.job-index": index,
                                                                   "strategy.job-total": SHARDS}))
        assert set(grade.values()) == {0}, _log(actions, workspace)
        assert len(list((actions.artifacts / f"shard-{shard}").glob("*/conv/results.json"))) == 1  # one student each

    report_if = workflow["jobs"]["report"]["if"]  # after the shards, even when one failed; not without submissions
    assert actions.condition(report_if, True, {"needs.collect.result": "success"})
    assert not actions.condition(report_if, True, {"needs.collect.result": "failure"})
    status_if = next(step["if"] for step in workflow["jobs"]["report"]["steps"] if " status " in step.get("run", ""))
    assert not actions.condition(status_if, False, {"inputs.commit-status": False})  # no grades shown unless asked
    report = _codes(actions.job(workflow, "report", _instructor_workspace(root / "report"),
                                {"needs.collect.result": "success"}))
    assert set(report.values()) == {0}, _log(actions, root / "report")
    grades_artifact = actions.artifacts / "grades"
    with open(grades_artifact / "grading" / "all" / "grades.csv", newline="") as file:
        table = {row["student"]: (float(row["score"]), row["status"]) for row in csv.DictReader(file)}
    assert table == {full: (POINTS, "graded"), zero: (0, "graded")}
    assert (grades_artifact / "grading" / "all" / full / "conv" / "feedback.html").exists()
    assert (grades_artifact / "collected.json").exists()
    page = _summary(actions, root / "report")
    assert f"| {full} | conv | 12 / 12 | graded |" in page and f"| {zero} | conv | 0 / 12 | graded |" in page
    assert "| nobody | | | no notebook in the repository |" in page and "<details>" in page
    statuses = {s["repository"]: s for s in github.statuses}
    assert set(statuses) == {f"{ORG}/conv-{full}", f"{ORG}/conv-{zero}"}
    assert statuses[f"{ORG}/conv-{full}"]["description"] == "Hidden tests: 12 / 12 points"
    assert statuses[f"{ORG}/conv-{full}"]["sha"] == by_student[full]["sha"]
    assert statuses[f"{ORG}/conv-{zero}"]["state"] == "success"  # graded, whatever the score
    assert (actions.stubs / "calls").read_text().count("make .venv/.installed") == SHARDS + 1
    token = TOKEN.encode()  # written nowhere: not in git's config, not in an artifact, not in a summary
    assert not [p for p in root.rglob("*") if p.is_file() and not p.is_symlink() and token in p.read_bytes()]


# Classroom 50 -----------------------------------------------------------------------------------

CLASSROOM, SLUG = "dl-2026", "conv-nets"  # Classroom 50 slugs: [a-z0-9-]; the kit's names may have "_"


def _classroom50_result_problem(data: dict, owner: str) -> str:
    """Classroom 50's own check of result.json (runner.py's validate_result), or ''."""
    if data.get("schema") != "classroom50/result/v1" or data.get("classroom") != CLASSROOM:
        return "schema or classroom"
    if data.get("assignment") != SLUG or data.get("owner") != owner or data.get("assignment_type") != "individual":
        return "identity"
    if not str(data.get("submission", "")).startswith("submit/"):
        return "submission"
    if not all(isinstance(data.get(f), str) and data[f] for f in ("commit", "release", "review", "datetime")):
        return "links"
    score, maximum = data.get("score"), data.get("max-score")
    if not all(type(v) is int and v >= 0 for v in (score, maximum)) or score > maximum:
        return "score"
    for test in data.get("tests"):
        if not (isinstance(test.get("test-name"), str) and test["test-name"] and type(test.get("passed")) is bool):
            return "test"
        if not (type(test.get("score")) is int and type(test.get("max-score")) is int and
                0 <= test["score"] <= test["max-score"]):
            return "test score"
    return ""


def _classroom50_bundle(root: Path) -> Path:
    """The config repository's folder for the assignment, bundled as its publish-pages.yaml
    bundles it, then extracted as runner.py extracts it; the extracted folder."""
    folder = root / "config" / CLASSROOM / "autograders" / SLUG
    folder.mkdir(parents=True)
    shutil.copy(GITHUB / "classroom50" / "autograder.py", folder / "autograder.py")
    shutil.copy(GITHUB / "visible_checks.py", folder / "visible_checks.py")
    site = root / "_site" / CLASSROOM / "autograders"
    site.mkdir(parents=True)
    subprocess.run(["tar", "-czf", str(site / f"{SLUG}.tar.gz"), "-C", str(folder.parent), SLUG], check=True)
    runtime = root / "runtime"
    with tarfile.open(site / f"{SLUG}.tar.gz") as bundle:
        assert sorted(m.name for m in bundle.getmembers() if m.isfile()) == [f"{SLUG}/autograder.py",
                                                                               f"{SLUG}/visible_checks.py"]
        bundle.extractall(runtime, filter="data")
    return runtime / SLUG


def _classroom50_grade(bundle: Path, checkout: Path, user: str) -> tuple:
    """runner.py's run_entrypoint: the autograder, in the student's checkout, with the
    runner's environment; then what the runner reads back."""
    repository, tag = f"{ORG}/{CLASSROOM}-{SLUG}-{user}", "submit/2026-03-01T12-00-00Z-abcdef1"
    output = checkout.parent / f"{user}.output"
    environment = {**os.environ, "CLASSROOM": CLASSROOM, "ASSIGNMENT": SLUG, "SUBMISSION_TAG": tag, "MODE": "individual",
                   "PAGES_BASE_URL": f"https://{ORG}.github.io/classroom50", "GITHUB_REPOSITORY": repository,
                   "GITHUB_SHA": _git(checkout, "rev-parse", "HEAD"), "GITHUB_OUTPUT": str(output),
                   "CLASSROOM50_BUNDLE_DIR": str(bundle), "USERNAME": user, "OWNER": user,
                   "ASSIGNMENT_TYPE": "individual", "COMMIT_URL": f"https://github.com/{repository}/commit/x",
                   "RELEASE_URL": f"https://github.com/{repository}/releases/tag/x", "REVIEW_URL": "",
                   "PIP_NO_INDEX": "1"}
    done = subprocess.run([sys.executable, str(bundle / "autograder.py")], cwd=checkout, env=environment,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return json.loads((checkout / "result.json").read_text()), (checkout / "release-body.md").read_text()


def test_classroom50_runner_grades_the_visible_checks(tmp_path):
    bundle = _classroom50_bundle(tmp_path)
    ada = _student_repository(tmp_path / "checkouts" / "ada", CONV.notebook("source"))
    lost = _student_repository(tmp_path / "checkouts" / "lost", None)  # deleted the notebook
    with ThreadPoolExecutor(2) as pool:
        (full, body), (missing, _) = pool.map(lambda r: _classroom50_grade(bundle, *r), [(ada, "ada"), (lost, "lost")])
    assert _classroom50_result_problem(full, "ada") == "" and _classroom50_result_problem(missing, "lost") == ""
    assert (full["score"], full["max-score"]) == (POINTS, POINTS) and all(t["passed"] for t in full["tests"])
    assert [t["test-name"] for t in full["tests"]][-1] == "test_conv_backward" and "12 / 12 points" in body
    assert missing["score"] == 0 and [t["passed"] for t in missing["tests"]] == [False]  # a failure, not a vacuous pass


def test_instructor_repository_collects_classroom50_submissions(organisation, tmp_path):
    """Classroom 50's repositories, <classroom>-<slug>-<user>: the newest submit/* tag is
    graded, not later work on main; no tag, nothing submitted."""
    github = FakeGitHub()
    try:
        carol = _student_repository(tmp_path / f"{CLASSROOM}-{SLUG}-carol", CONV.notebook("released"))
        _git(carol, "tag", "submit/2026-03-01T09-00-00Z-1111111")
        nbformat.write(CONV.notebook("source"), carol / "conv.ipynb")
        _git(carol, "commit", "--quiet", "--all", "--message", "finished")
        _git(carol, "tag", "submit/2026-03-02T18-30-00Z-2222222")
        submitted_sha = _git(carol, "rev-parse", "HEAD")
        (carol / "conv.ipynb").write_text("{ half-written")
        _git(carol, "commit", "--quiet", "--all", "--message", "after the deadline")
        github.add(carol)
        github.add(_student_repository(tmp_path / f"{CLASSROOM}-{SLUG}-dave", CONV.notebook("released")))
        workflow = _workflow("grade-students.yml")
        actions = Actions(tmp_path / "runner", {"secrets.COURSE_TOKEN": TOKEN, "github.repository_owner": ORG,
                                                "inputs.assignment": "conv", "inputs.prefix": f"{CLASSROOM}-{SLUG}-",
                                                "inputs.ref": "submit/*"}, {"GITHUB_API_URL": github.url})
        workspace = _instructor_workspace(tmp_path / "collect")
        assert set(_codes(actions.job(workflow, "collect", workspace)).values()) == {0}, _log(actions, workspace)
        manifest = {e["student"]: e for e in json.loads((workspace / "collected.json").read_text())["students"]}
        assert manifest["carol"]["ref"] == "submit/2026-03-02T18-30-00Z-2222222"
        assert manifest["carol"]["sha"] == submitted_sha
        assert manifest["dave"]["problem"] == "no tag matches submit/*: nothing submitted"
        handed_in = subprocess.run(["git", "-C", str(carol), "show", f"{submitted_sha}:conv.ipynb"],
                                   capture_output=True, check=True).stdout
        assert (workspace / "submitted" / "carol" / "conv" / "conv.ipynb").read_bytes() == handed_in
        assert not (workspace / "submitted" / "dave").exists()
    finally:
        github.server.shutdown()


# The job summaries ------------------------------------------------------------------------------


def test_reports_escape_student_text():
    results = {"score": 1.0, "max_score": 2.0, "execution_time": 1.5, "extra_data": {"seed": 3},
               "tests": [{"name": "notebook", "score": 0, "max_score": 0, "output": "ran <b>fine</b>",
                          "tags": ["notebook"]},
                         {"name": "f: one", "score": 1.0, "max_score": 1.0, "output": "", "tags": ["f"]},
                         {"name": "f: two", "score": 0.0, "max_score": 1.0, "output": "got <script> | a\nline",
                          "tags": ["f"]}]}
    page = classroom.markdown(results, "conv")
    assert "<script>" not in page and "&lt;script&gt; \\| a<br>line" in page and "| `f` | 1 / 2 |" in page
    payload = json.loads(base64.b64decode(classroom.classroom_payload(results)))
    assert [t["status"] for t in payload["tests"]] == ["pass", "fail"] and payload["status"] == "fail"


def test_visible_checks_report_escapes_student_text():
    sys.path.insert(0, str(GITHUB))
    try:
        import visible_checks
    finally:
        sys.path.remove(str(GITHUB))
    report = {"notebook": "a|b.ipynb", "score": 0, "max_score": 1, "tests": [
        {"name": "t", "passed": False, "score": 0, "max_score": 1, "message": "<img src=x> | \n::error::x"}]}
    page = visible_checks.summary(report)
    assert "<img" not in page and "&lt;img src=x&gt; \\| ::error::x" in page and "`a\\|b.ipynb`" in page
    assert "no report" in visible_checks.summary(None)


def test_course_summary_escapes_names_and_keeps_under_githubs_limit(tmp_path, monkeypatch):
    def results(score):
        return {"score": score, "max_score": 2.0, "execution_time": 1.0, "extra_data": {"seed": 1},
                "tests": [{"name": "notebook", "score": 0, "max_score": 0, "output": "ran", "tags": ["notebook"]},
                          {"name": "f: one", "score": score, "max_score": 2.0, "output": "x" * 2000, "tags": ["f"]}]}
    for number, student in enumerate(["a|b<i>", *(f"s{n:03d}" for n in range(40))]):
        (tmp_path / student / "conv").mkdir(parents=True)
        (tmp_path / student / "conv" / "results.json").write_text(json.dumps(results(float(number % 3))))
    monkeypatch.setattr(classroom, "SUMMARY_BYTES", 20_000)
    page = classroom.course_markdown(tmp_path, {"nobody": "no notebook <script>"})
    assert "| a\\|b&lt;i&gt; | conv | 0 / 2 | graded |" in page and "| nobody | | | no notebook &lt;script&gt; |" in page
    assert "- `conv`: mean 0.9756 of 2 points; full marks: 13; not graded: 0." in page
    assert len(page.encode()) <= 20_000 + 200 and page.count("<details>") < 41 and "grades artifact" in page
