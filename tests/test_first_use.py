"""Modules that run on first use (``runner/lazy.py``): imported at once, run only when
an attribute of theirs is read, once, whatever reads their metadata meanwhile."""
import subprocess
import sys
import textwrap

import pytest
from conftest import ROOT

RUNNER = ROOT / "autograder" / "runner"


def run_python(code: str, folder) -> str:
    """Run ``code`` as a script file in ``folder`` (a function's source can then be read,
    as a notebook cell's can), in a fresh interpreter that can import ``lazy.py``."""
    script = folder / "script.py"
    script.write_text(f"import sys\nsys.path[:0] = [{str(RUNNER)!r}, {str(folder)!r}]\n" + textwrap.dedent(code))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_a_module_runs_at_the_first_read_of_what_it_defines_and_only_once(tmp_path):
    package = tmp_path / "course_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "heavy.py").write_text(textwrap.dedent(f"""\
        import time
        with open({str(tmp_path / "runs")!r}, "a") as runs:
            runs.write("ran\\n")
        time.sleep(0.3)  # long enough for a second thread to ask meanwhile
        VALUE = 42
        __all__ = ["VALUE"]
        """))
    output = run_python(f"""
        import inspect, threading
        from pathlib import Path
        import lazy
        lazy.ON_FIRST_USE = ("course_pkg.heavy",)
        lazy.import_on_first_use()
        runs = Path({str(tmp_path / "runs")!r})
        import course_pkg.heavy as heavy
        assert not runs.exists(), "ran on import"
        assert heavy.__name__ == "course_pkg.heavy" and heavy.__file__.endswith("heavy.py")
        assert heavy.__spec__.name == "course_pkg.heavy"
        inspect.getmodule(inspect.cleandoc)  # reads the __file__ of every module loaded, as tf.function does
        assert not runs.exists(), "ran when its metadata was read"
        values = []
        readers = [threading.Thread(target=lambda: values.append(heavy.VALUE)) for _ in range(2)]
        for reader in readers:
            reader.start()
        for reader in readers:
            reader.join()
        from course_pkg.heavy import *
        print(values, VALUE, runs.read_text().count("ran"))
        """, tmp_path)
    assert output.split() == ["[42,", "42]", "42", "1"]


@pytest.mark.slow
def test_tensorflows_first_trace_runs_neither_scikit_learn_nor_pyplot(tmp_path):
    """Keras imports its scikit-learn wrappers and pyplot; TensorFlow's first trace reads
    every module's file: neither runs until a notebook uses it."""
    output = run_python("""
        import lazy
        lazy.import_on_first_use()
        import tensorflow as tf

        @tf.function
        def double(x):
            return 2 * x

        double(tf.constant(1.0))
        before = {"sklearn" in sys.modules, type(sys.modules["matplotlib.pyplot"]).__name__ == "module"}
        import matplotlib.pyplot as plt
        used = callable(plt.figure) and tf.keras.wrappers.SKLearnClassifier.__name__ == "SKLearnClassifier"
        print(before, used, "sklearn" in sys.modules)
        """, tmp_path)
    assert output.split() == ["{False}", "True", "True"]
