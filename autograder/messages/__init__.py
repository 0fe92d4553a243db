"""Every sentence a student or instructor reads, looked up by key.

The kit's shared sentences are in ``<language>.toml`` in this folder; an assignment's
own are in its folder, ``assignments/<name>/messages.<language>.toml``, and are looked
up as ``say("<name>.<key>")``. English is the default; ``AUTOGRADER_LANGUAGE`` chooses
another edition, so that a translation touches no code.
"""
import functools
import os
import tomllib
from pathlib import Path

HERE = Path(__file__).parent
ASSIGNMENTS = HERE.parent / "assignments"


@functools.lru_cache(maxsize=None)
def _catalogue(language: str) -> dict:
    with open(HERE / f"{language}.toml", "rb") as file:
        return tomllib.load(file)


@functools.lru_cache(maxsize=None)
def _assignment_catalogue(name: str, language: str) -> dict:
    with open(ASSIGNMENTS / name / f"messages.{language}.toml", "rb") as file:
        return tomllib.load(file)


def say(key: str, **fields) -> str:
    """The sentence ``key`` ("section.name"), filled in with ``fields``."""
    section, name = key.split(".")
    language = os.environ.get("AUTOGRADER_LANGUAGE", "en")
    shared = _catalogue(language)
    sentences = shared[section] if section in shared else _assignment_catalogue(section, language)
    return sentences[name].format(**fields)
