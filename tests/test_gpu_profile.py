"""The GPU profile of the sandbox (``sandbox.gpu_profile``), as built on a CPU machine:
no GPU is needed to check what a GPU run would be given, and that a CPU run is given
exactly what it was before."""
import json
import resource

import pytest

from autograder.config import DEFAULT_LIMITS, GPU_RUNNER_ENVIRONMENT, Limits
from autograder.runner import sandbox

CPU = DEFAULT_LIMITS.with_overrides(memory_mb=8192)
GPU = CPU.with_overrides(gpu=True)
BASE = {"PATH": "/usr/bin", "HOME": "/sandbox", "OMP_NUM_THREADS": "1"}


@pytest.fixture
def dev(tmp_path):
    """A folder standing in for /dev, with the files a one-GPU machine has."""
    for name in ("nvidia0", "nvidia1", "nvidiactl", "nvidia-uvm", "nvidia-uvm-tools", "null", "sda"):
        (tmp_path / name).touch()
    (tmp_path / "nvidia-caps").mkdir()
    (tmp_path / "nvidia-caps" / "nvidia-cap1").touch()
    return tmp_path


def test_cpu_profile_is_unchanged(dev, monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    monkeypatch.setenv("LD_LIBRARY_PATH", "/usr/local/nvidia/lib64")
    environment, files, imports = sandbox.gpu_profile(CPU, dict(BASE), ("numpy", "tensorflow"), dev=str(dev))
    assert environment == BASE and files == [] and imports == ("numpy", "tensorflow")
    assert Limits().gpu is False and DEFAULT_LIMITS.gpu is False


def test_cpu_limits_keep_the_address_space_limit():
    limits = sandbox._rlimits(CPU)
    assert limits[resource.RLIMIT_AS] == (8192 * 2**20,) * 2
    assert set(limits) == {resource.RLIMIT_AS, resource.RLIMIT_CPU, resource.RLIMIT_FSIZE, resource.RLIMIT_NOFILE,
                           resource.RLIMIT_CORE, resource.RLIMIT_NPROC}


def test_gpu_limits_have_no_address_space_limit_and_keep_the_rest():
    gpu, cpu = sandbox._rlimits(GPU), sandbox._rlimits(CPU)
    assert resource.RLIMIT_AS not in gpu
    assert gpu == {kind: values for kind, values in cpu.items() if kind != resource.RLIMIT_AS}


def test_gpu_prlimit_command_sets_no_address_space(monkeypatch):
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: f"/usr/bin/{name}")
    assert any(option.startswith("--as=") for option in sandbox._limit_command(CPU))
    gpu = sandbox._limit_command(GPU)
    assert not any(option.startswith("--as=") for option in gpu)
    assert any(option.startswith("--nproc=") for option in gpu) and gpu[-1] == "--"


def test_gpu_profile_binds_the_device_files_cuda_opens(dev):
    _, files, _ = sandbox.gpu_profile(GPU, dict(BASE), (), dev=str(dev))
    names = [path[len(str(dev)) + 1:] for path in files]
    assert sorted(names) == ["nvidia-caps/nvidia-cap1", "nvidia-uvm", "nvidia-uvm-tools", "nvidia0", "nvidia1",
                             "nvidiactl"]


def test_gpu_profile_without_device_files_binds_none(tmp_path):
    assert sandbox.gpu_profile(GPU, dict(BASE), (), dev=str(tmp_path))[1] == []


def test_gpu_profile_passes_cuda_variables_only(dev, monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1")
    monkeypatch.setenv("NVIDIA_VISIBLE_DEVICES", "GPU-1234")
    monkeypatch.setenv("NVIDIA_DRIVER_CAPABILITIES", "compute,utility")
    monkeypatch.setenv("LD_LIBRARY_PATH", "/usr/local/nvidia/lib64")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    environment, _, _ = sandbox.gpu_profile(GPU, dict(BASE), (), dev=str(dev))
    assert environment == {**BASE, "CUDA_VISIBLE_DEVICES": "1", "NVIDIA_VISIBLE_DEVICES": "GPU-1234",
                           "NVIDIA_DRIVER_CAPABILITIES": "compute,utility",
                           "LD_LIBRARY_PATH": "/usr/local/nvidia/lib64", **GPU_RUNNER_ENVIRONMENT}
    assert environment["TF_FORCE_GPU_ALLOW_GROWTH"] == "true"


def test_gpu_profile_leaves_unset_variables_unset(dev, monkeypatch):
    for name in ("CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "NVIDIA_DRIVER_CAPABILITIES", "LD_LIBRARY_PATH"):
        monkeypatch.delenv(name, raising=False)
    environment, _, _ = sandbox.gpu_profile(GPU, dict(BASE), (), dev=str(dev))
    assert environment == {**BASE, **GPU_RUNNER_ENVIRONMENT}


def test_gpu_profile_shows_the_nvidia_wheels_beside_tensorflow(dev):
    assert sandbox.gpu_profile(GPU, {}, ("numpy", "tensorflow"), dev=str(dev))[2] == ("numpy", "tensorflow", "nvidia")
    assert sandbox.gpu_profile(GPU, {}, ("numpy",), dev=str(dev))[2] == ("numpy",)


def _plan(command: list) -> dict:
    return json.loads(next(part for part in command if part.startswith('{"binds"')))


def test_setup_plan_names_devices_only_on_the_gpu(dev):
    cpu = _plan(sandbox._setup_command(["true"], 1, None, [], ()))
    assert "devices" not in cpu
    _, files, _ = sandbox.gpu_profile(GPU, {}, (), dev=str(dev))
    gpu = _plan(sandbox._setup_command(["true"], 1, None, [], (), files))
    assert gpu["devices"] == files
    assert {key: value for key, value in gpu.items() if key != "devices"} == cpu


class _Identity:
    def __init__(self, cgroups):
        self.cgroups = cgroups


def test_gpu_memory_bound_by_the_cgroup_where_there_is_one(tmp_path):
    group = tmp_path / "autograder-sandbox-1"
    group.mkdir()
    (group / "memory.max").write_text("max")
    (group / "memory.swap.max").write_text("max")
    assert sandbox._bound_memory(GPU, _Identity((str(group),))) == "cgroup"
    assert (group / "memory.max").read_text() == str(8192 * 2**20)
    assert (group / "memory.swap.max").read_text() == "0"


def test_gpu_memory_bound_by_the_watchdog_without_a_cgroup(tmp_path):
    assert sandbox._bound_memory(GPU, None) == "watchdog"
    assert sandbox._bound_memory(GPU, _Identity((str(tmp_path / "gone"),))) == "watchdog"


def test_watchdog_ends_a_sandbox_over_its_memory():
    import subprocess
    import sys

    hog = subprocess.Popen([sys.executable, "-c", "import time; x = bytearray(64 * 2**20); time.sleep(60)"],
                           start_new_session=True)
    try:
        sandbox._watch_memory(hog, memory_mb=16)
        assert hog.wait(timeout=10) != 0
    finally:
        if hog.poll() is None:
            hog.kill()
