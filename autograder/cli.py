"""``autograder``: grade a notebook or a whole course, and hand the grades on.

    autograder grade NOTEBOOK.ipynb --assignment NAME --out DIR
    autograder grade SUBMITTED_DIR --out DIR [--jobs N] [--shard K/N] [--gradebook [COURSE]]
    autograder merge DIR... --out DIR
    autograder gradebook DIR [--course COURSE]
    autograder gradescope ASSIGNMENT [--out DIR]
    autograder report RESULTS.json [--format markdown|classroom]
    autograder release [NAME ...]

The exit status is 0 whenever grading finished, whatever the scores.
"""
import argparse
import os
import resource
import secrets
import signal
import sys
from pathlib import Path

from autograder import assignments
from autograder.course import CourseError, batch
from autograder.messages import say
from autograder.report.results import is_not_graded


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="autograder", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    grade = commands.add_parser("grade", help="grade a notebook, or an nbgrader submitted/ tree")
    grade.add_argument("path", type=Path, help="a notebook, or a folder of <student>/<assignment>/ folders")
    grade.add_argument("--assignment", choices=assignments.names(),
                       help="needed for one notebook; for a folder, grade only this assignment")
    grade.add_argument("--out", type=Path, required=True)
    grade.add_argument("--seed", type=int, help="reproduce a grading run (results.json records its seed)")
    grade.add_argument("--device", choices=["auto", "cpu", "gpu"], default="auto")
    grade.add_argument("--limit", action="append", default=[], metavar="NAME=VALUE",
                       help="override a sandbox limit (autograder/config.py), e.g. notebook_seconds=120")
    grade.add_argument("--recalibrate", action="store_true",
                       help="measure the time budgets again (they are measured once per machine and kept)")
    grade.add_argument("--junit", type=Path, metavar="FILE",
                       help="also write JUnit XML (one test case per check) for a CI system")
    tree = grade.add_argument_group("grading a folder")
    tree.add_argument("--jobs", type=int, default=1, help="submissions graded at once (default 1)")
    tree.add_argument("--force", action="store_true", help="grade again what already has results")
    tree.add_argument("--timeout", type=float, default=batch.SUBMISSION_SECONDS,
                      help="seconds for one whole submission before it is stopped (default %(default)g)")
    tree.add_argument("--shard", metavar="K/N",
                      help="grade only shard K of N, by student (one job of a CI matrix or an array job), or "
                           "'auto': K and N from Slurm's, Kubernetes' or AUTOGRADER_SHARD_* variables; "
                           "then autograder merge")
    tree.add_argument("--gradebook", nargs="?", const="", metavar="COURSE",
                      help="then write the grades into nbgrader's gradebook of the course at COURSE "
                           "(default: the folder above the submissions)")
    grade.add_argument("--run", type=Path, help=argparse.SUPPRESS)  # set by a batch: the run, resolved once

    merge = commands.add_parser("merge", help="merge the graded folders of several shards into one")
    merge.add_argument("folders", type=Path, nargs="+")
    merge.add_argument("--out", type=Path, required=True)

    gradebook = commands.add_parser("gradebook", help="write a graded folder into nbgrader's gradebook and feedback")
    gradebook.add_argument("folder", type=Path)
    gradebook.add_argument("--course", type=Path, default=Path("."),
                           help="the course's root folder, where nbgrader_config.py is (default: here)")

    gradescope = commands.add_parser("gradescope", help="build a Gradescope autograder (a zip) for an assignment")
    gradescope.add_argument("assignment", choices=assignments.names())
    gradescope.add_argument("--out", type=Path, default=Path("build") / "gradescope")
    gradescope.add_argument("--details", choices=["visible", "after_due_date"], default="visible",
                            help="when students see each check's row (default: at once); after_due_date: "
                                 "at once only their notebook's row and how many checks of each function passed")

    report = commands.add_parser("report", help="print a results.json as a CI job summary or a Classroom payload")
    report.add_argument("results", type=Path)
    report.add_argument("--format", choices=["markdown", "classroom"], default="markdown")

    judge = commands.add_parser("judge", help="(used by a batch) grade the submissions sent on stdin under a run")
    judge.add_argument("run", type=Path)
    judge.add_argument("--start-next-early", action="store_true",
                       help="start each next student's sandbox while this one's checks run")

    release = commands.add_parser("release", help="generate release/ from source/ with nbgrader")
    release.add_argument("names", nargs="*", help="the assignments (default: every one in source/)")
    release.add_argument("--course", type=Path,
                         help="the course's root folder, where nbgrader_config.py is (default: the kit's own)")
    return parser


def main(argv=None) -> int:
    cli = parser()
    args = cli.parse_args(argv)
    command = {"grade": _grade, "merge": _merge, "gradebook": _gradebook, "gradescope": _gradescope,
               "report": _report, "release": _release, "judge": _judge}[args.command]
    try:
        return command(args, cli)
    except CourseError as error:
        print(error, file=sys.stderr)
        return 1
    except batch.Interrupted as error:
        print(error, file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        return 130


# The judge's own memory bound (address space): whatever a submission sends it, the judge
# fails alone, and its batch records why. Far above what it needs (TensorFlow included).
JUDGE_MEMORY_MB = 16384


def run() -> None:
    """The ``autograder`` command: ``main()``, then exit."""
    _bound_memory(JUDGE_MEMORY_MB)
    sys.stdout = _ForgivingStream(sys.stdout)
    code = main()
    sys.stdout.flush()
    if "tensorflow" in sys.modules:
        # TensorFlow's teardown at interpreter exit takes over a second and undoes nothing
        # that matters: every result is written and closed by now
        try:
            sys.stderr.flush()
        except OSError:
            pass
        os._exit(code)
    sys.exit(code)


class _ForgivingStream:
    """Standard output that lets the command go on, and end quietly, when its reader
    went away (``| head``): what it was printing was for that reader only."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._lost()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._lost()

    def _lost(self) -> None:
        # the interpreter's own stdout must not fail again when it flushes at exit
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.__stdout__.fileno())
        os.close(devnull)
        self._stream = open(os.devnull, "w")  # noqa: SIM115 (for the rest of the process)

    def __getattr__(self, name):
        return getattr(self._stream, name)


def _bound_memory(megabytes: int) -> None:
    """Lower the soft address-space limit (children, which set their own, may raise it
    again up to the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    bound = megabytes * 2**20
    if soft == resource.RLIM_INFINITY or soft > bound:
        resource.setrlimit(resource.RLIMIT_AS, (bound if hard == resource.RLIM_INFINITY else min(bound, hard), hard))


def _grade(args, cli) -> int:
    from autograder.run import parse_limits

    try:
        args.limits = parse_limits(args.limit)
    except ValueError as error:
        cli.error(str(error))
    if args.path.is_dir():
        return _grade_tree(args, cli)
    if not args.path.exists():
        cli.error(f"{args.path} does not exist")
    if not args.assignment:
        cli.error("grading one notebook needs --assignment")
    data = _grade_one(args)
    return batch.NOT_GRADED if is_not_graded(data) else 0


def _grade_one(args) -> dict:
    """Grade one notebook: under the run a batch resolved (``--run``), or one resolved here."""
    from autograder.judge.student import discard_sandbox_ahead
    from autograder.report import results
    from autograder.run import CalibrationFailed, Run, resolve

    if args.run:
        run = Run.from_json(args.run.read_text())
        data = batch.grade_submission(args.path, run, args.out)
    else:
        try:
            run = resolve(args.assignment, args.seed, args.device, args.limits, hidden=[args.out.resolve()],
                          recalibrate=args.recalibrate)
            try:
                data = batch.grade_submission(args.path, run, args.out)
            finally:
                discard_sandbox_ahead()  # the one started for a notebook that could not be read
        except CalibrationFailed as error:
            reason = say("course.calibration_failed", assignment=args.assignment, reason=error)
            data = results.not_graded(args.assignment, reason, 0.0, args.seed)
            results.write(args.out, data)
        if is_not_graded(data):
            reason = data["extra_data"]["internal_errors"][0]
            print(say("course.not_graded_line", path=args.path, reason=reason), file=sys.stderr)
        else:
            print(f"{args.path}: {data['score']:g} / {data['max_score']:g}  (seed {data['extra_data']['seed']})")
    if args.junit:
        from autograder.report import junit

        junit.write(args.junit, [(f"{args.assignment}: {args.path.name}", data)])
    return data


def _grade_tree(args, cli) -> int:
    from autograder.course import shards
    from autograder.report import grades, results, summary

    signal.signal(signal.SIGTERM, _interrupt)  # a cancelled CI job stops its judges too
    submissions = batch.find(args.path, args.assignment)
    if not submissions:
        print(say("course.nothing_to_grade", root=args.path, assignments=", ".join(assignments.names())),
              file=sys.stderr)
        return 1
    if args.shard:
        try:
            submissions = shards.select(submissions, *shards.parse(args.shard))
        except ValueError as error:
            cli.error(str(error))
    settings = batch.Settings(
        seed=secrets.randbelow(2**31) if args.seed is None else args.seed,
        device=args.device,
        limits=args.limits,
        hidden=(args.path.resolve(), args.out.resolve()),
        within=args.path.resolve(),
        timeout=args.timeout,
        recalibrate=args.recalibrate,
    )
    summary.prepare_in_background()  # the summary's charts, drawn once every submission is graded
    batch.grade_all(submissions, args.out, settings, jobs=args.jobs, force=args.force,
                    report=None if sys.stderr.isatty() else _progress_line)
    table = grades.write_tables(args.out, submitted=args.path)
    if args.junit:
        from autograder.report import junit

        junit.write(args.junit, [(f"{s.student}/{s.assignment}", results.read(s.folder(args.out) / "results.json") or {})
                                 for s in submissions])
    if args.gradebook is not None:
        course = Path(args.gradebook) if args.gradebook else args.path.resolve().parent
        _print_lines(_write_gradebook(args.out, course))
    return 1 if any(row["status"] == "failed" for row in table) else 0


def _progress_line(submission, data: dict, seconds: float) -> None:
    """Where there is no terminal for a progress bar (a CI log): a line per submission."""
    from autograder.report.grades import printable

    score = f"{data['score']:g} / {data['max_score']:g}" if data else "no result"
    if data and is_not_graded(data):
        score += " (not graded)"
    print(printable(f"{submission.student}  {submission.assignment}  {score}  {seconds:.1f} s"), flush=True)


def _merge(args, cli) -> int:
    from autograder.course import shards

    from autograder.report import grades

    shards.merge(args.folders, args.out)
    grades.write_tables(args.out)
    return 0


def _gradebook(args, cli) -> int:
    _print_lines(_write_gradebook(args.folder, args.course))
    return 0


def _gradescope(args, cli) -> int:
    from autograder.platforms import gradescope

    print(say("course.bundle_wrote", path=gradescope.build(args.assignment, args.out, args.details)))
    return 0


def _report(args, cli) -> int:
    from autograder.platforms import classroom

    from autograder.report import results

    data = results.read(args.results)
    if data is None:
        cli.error(f"{args.results} is not a results.json")
    if args.format == "classroom":
        print(classroom.classroom_payload(data))
    else:
        print(classroom.markdown(data, data.get("extra_data", {}).get("assignment", args.results.parent.name)), end="")
    return 0


def _release(args, cli) -> int:
    from autograder.platforms import release

    _print_lines(release.release(args.course or assignments.PROJECT, args.names))
    return 0


def _judge(args, cli) -> int:
    from autograder.course import judges

    return judges.serve(args.run, args.start_next_early)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _write_gradebook(out: Path, course: Path) -> list:
    from autograder.platforms import gradebook

    return gradebook.write(out, course)


def _print_lines(lines: list) -> None:
    for line in lines:
        print(line)
