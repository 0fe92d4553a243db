#!/usr/bin/env python3
"""The instructor's side of grading on GitHub: collect the students' repositories into
nbgrader's ``submitted/`` tree, and afterwards tell each repository its grade.

    python docs/github/course.py collect --org ORG --prefix conv- --assignment conv \\
        [--ref 'submit/*'] --out submitted --manifest collected.json
    .venv/bin/python docs/github/course.py summary grading/all --manifest collected.json
    python docs/github/course.py status grading/all --manifest collected.json

``collect`` lists the organisation's repositories whose name starts with ``--prefix`` (the
rest of the name is the student), fetches from each the commit to grade (the default
branch's, or with ``--ref PATTERN`` the newest tag matching it, such as Classroom 50's
``submit/*``), and copies its notebooks, and nothing else, to
``submitted/<student>/<assignment>/``. It never checks a repository out, so no file of a
student's runs or lands anywhere else. ``collected.json`` says what was graded (repository,
ref, commit) and what could not be collected.

The token is read from ``COURSE_TOKEN`` (a secret of the instructor's repository only):
sent to the API as a header and to git through ``GIT_CONFIG_*`` variables, never written
to disk or put on a command line. The API is ``GITHUB_API_URL`` (GitHub sets it;
https://api.github.com otherwise).

``summary`` prints the course's job summary (it needs the kit: run it with the kit's
Python); ``status`` posts each graded commit a commit status with its score (the token
then needs "Commit statuses: write" on the students' repositories).
"""
import argparse
import base64
import csv
import fnmatch
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

STUDENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")  # what a repository name's tail may be
NOTEBOOK_DEPTH = 3  # folders below the repository's top where a notebook is looked for
NOTEBOOK_BYTES = 50 * 1024 * 1024
STATUS_CONTEXT = "autograder/hidden-tests"
PAGE_SIZE = 100


# The GitHub API ---------------------------------------------------------------------------


def _api(path_or_url: str, token: str, body: dict = None):
    """``(decoded JSON, the URL of the next page or None)``."""
    base = os.environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
    url = path_or_url if "://" in path_or_url else base + path_or_url
    request = urllib.request.Request(url, data=None if body is None else json.dumps(body).encode(),
                                     method="GET" if body is None else "POST")
    request.add_header("Accept", "application/vnd.github+json")
    request.add_header("X-GitHub-Api-Version", "2022-11-28")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=60) as response:
        links = re.findall(r'<([^>]+)>;\s*rel="next"', response.headers.get("Link", ""))
        return json.loads(response.read() or b"null"), (links[0] if links else None)


def repositories(org: str, prefix: str, token: str) -> list:
    """The organisation's repositories named ``<prefix><student>``, templates left out."""
    found, url = [], f"/orgs/{urllib.parse.quote(org)}/repos?type=all&per_page={PAGE_SIZE}"
    while url:
        page, url = _api(url, token)
        found += [repo for repo in page if repo["name"].startswith(prefix) and not repo.get("is_template")]
    return sorted(found, key=lambda repo: repo["name"].lower())


# git, without a checkout --------------------------------------------------------------------


def _git_environment(token: str) -> dict:
    environment = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_LFS_SKIP_SMUDGE": "1"}
    if token:  # how actions/checkout authenticates, kept in this process's environment only
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        environment.update(GIT_CONFIG_COUNT="1", GIT_CONFIG_KEY_0="http.extraHeader",
                           GIT_CONFIG_VALUE_0=f"Authorization: Basic {basic}")
    return environment


def _git(folder: Path, environment: dict, *args, binary: bool = False):
    done = subprocess.run(["git", "-C", str(folder), *args], env=environment, capture_output=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"git {args[0]}: {done.stderr.decode(errors='replace').strip()[-500:]}")
    return done.stdout if binary else done.stdout.decode()


def fetch_submission(url: str, ref: str, destination: Path, token: str) -> dict:
    """Copy the notebooks of ``ref`` (a tag pattern, or "" for the default branch) of the
    repository at ``url`` into ``destination``; what was taken."""
    environment = _git_environment(token)
    with tempfile.TemporaryDirectory(prefix="collect-") as scratch:
        work = Path(scratch)
        _git(work, environment, "init", "--quiet", "--bare")
        if ref:
            tags = [line.split("\t")[1][len("refs/tags/"):]
                    for line in _git(work, environment, "ls-remote", "--tags", "--refs", url).splitlines() if "\t" in line]
            matching = sorted(tag for tag in tags if fnmatch.fnmatchcase(tag, ref))
            if not matching:
                return {"problem": f"no tag matches {ref}: nothing submitted"}
            taken = matching[-1]  # Classroom 50's submit/<UTC time>-<sha>: the last by name is the newest
            _git(work, environment, "fetch", "--quiet", "--depth", "1", "--no-tags", url, f"refs/tags/{taken}")
        else:
            taken = "HEAD"
            _git(work, environment, "fetch", "--quiet", "--depth", "1", "--no-tags", url, "HEAD")
        commit = _git(work, environment, "rev-parse", "FETCH_HEAD^{commit}").strip()
        committed = _git(work, environment, "log", "-1", "--format=%cI", commit).strip()
        notebooks = []
        listing = _git(work, environment, "ls-tree", "-r", "-z", "--full-tree", commit)
        for entry in filter(None, listing.split("\0")):
            meta, path = entry.split("\t", 1)
            mode, kind, blob = meta.split()
            parts = path.split("/")
            if (kind != "blob" or mode not in ("100644", "100755") or not path.endswith(".ipynb")
                    or len(parts) > NOTEBOOK_DEPTH + 1 or any(p.startswith(".") or p in ("", "..") for p in parts)):
                continue  # links, hidden folders (.ipynb_checkpoints) and deep folders are not handed in
            if int(_git(work, environment, "cat-file", "-s", blob)) > NOTEBOOK_BYTES:
                continue
            target = destination.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(_git(work, environment, "cat-file", "blob", blob, binary=True))
            notebooks.append(path)
    if not notebooks:
        return {"ref": taken, "sha": commit, "committed": committed, "problem": "no notebook in the repository"}
    return {"ref": taken, "sha": commit, "committed": committed, "notebooks": notebooks}


def collect(org: str, prefix: str, assignment: str, ref: str, out: Path, token: str) -> dict:
    """Fetch every student's submission into ``out/<student>/<assignment>/``; the manifest."""
    manifest = {"org": org, "prefix": prefix, "assignment": assignment, "ref": ref, "students": []}
    for repo in repositories(org, prefix, token):
        student = repo["name"][len(prefix):]
        entry = {"student": student, "repository": repo["full_name"]}
        if not STUDENT.fullmatch(student) or student in (".", ".."):
            entry["problem"] = "the repository's name does not end in a student's name"
        else:
            destination = out / student / assignment
            try:
                entry.update(fetch_submission(repo["clone_url"], ref, destination, token))
            except (RuntimeError, OSError, subprocess.SubprocessError, ValueError) as problem:
                entry["problem"] = f"could not be collected: {problem}"
        if "problem" in entry:
            print(f"::warning::{repo['full_name']}: {entry['problem']}")
        else:
            print(f"{repo['full_name']}: {entry['ref']} {entry['sha'][:12]} -> {student}/{assignment}/")
        manifest["students"].append(entry)
    return manifest


# After grading --------------------------------------------------------------------------------


def grades(folder: Path, assignment: str) -> dict:
    """``{student: row}`` of ``folder/grades.csv`` for ``assignment``."""
    with open(folder / "grades.csv", newline="", encoding="utf-8") as file:
        return {row["student"]: row for row in csv.DictReader(file) if row["assignment"] == assignment}


def status_of(row) -> tuple:
    """``(state, description)`` of the commit status for one grades.csv row (None: not graded)."""
    if row is None or row["status"] != "graded":
        return "error", "Hidden tests: not graded; the course staff will look into it"
    return "success", f"Hidden tests: {float(row['score']):g} / {float(row['max_score']):g} points"


def post_statuses(folder: Path, manifest: dict, token: str) -> int:
    """One commit status per collected commit; how many could not be posted."""
    table, failed = grades(folder, manifest["assignment"]), 0
    for entry in manifest["students"]:
        if "sha" not in entry or "problem" in entry:
            continue
        state, description = status_of(table.get(entry["student"]))
        try:
            _api(f"/repos/{entry['repository']}/statuses/{entry['sha']}", token,
                 {"state": state, "context": STATUS_CONTEXT, "description": description})
        except OSError as problem:
            failed += 1
            print(f"::warning::{entry['repository']}: no commit status: {problem}")
    return failed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    collecting = commands.add_parser("collect", help="fetch the students' notebooks into submitted/")
    collecting.add_argument("--org", required=True)
    collecting.add_argument("--prefix", required=True, help="repository name prefix; the rest is the student")
    collecting.add_argument("--assignment", required=True, help="the kit's assignment these notebooks are")
    collecting.add_argument("--ref", default="", help="tag pattern (newest match is graded); default branch if empty")
    collecting.add_argument("--out", type=Path, default=Path("submitted"))
    collecting.add_argument("--manifest", type=Path, default=Path("collected.json"))
    for name, text in (("summary", "print the course's job summary"), ("status", "post commit statuses")):
        command = commands.add_parser(name, help=text)
        command.add_argument("graded", type=Path, help="the merged grading folder (grades.csv)")
        command.add_argument("--manifest", type=Path, default=Path("collected.json"))
    args = parser.parse_args(argv)
    token = os.environ.get("COURSE_TOKEN", "")

    if args.command == "collect":
        if not token:
            print("::warning::COURSE_TOKEN is empty: only public repositories can be read")
        manifest = collect(args.org, args.prefix, args.assignment, args.ref, args.out, token)
        args.manifest.write_text(json.dumps(manifest, indent=1) + "\n")
        if not manifest["students"]:
            print(f"::error::no repository of {args.org} starts with {args.prefix!r}", file=sys.stderr)
            return 1
        return 0
    manifest = json.loads(args.manifest.read_text()) if args.manifest.exists() else {"students": []}
    if args.command == "summary":
        from autograder.platforms import classroom

        problems = {entry["student"]: entry["problem"] for entry in manifest["students"] if "problem" in entry}
        print(classroom.course_markdown(args.graded, problems), end="")
        return 0
    return 1 if post_statuses(args.graded, manifest, token) else 0


if __name__ == "__main__":
    sys.exit(main())
