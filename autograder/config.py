"""Limits on the sandbox that runs student code: one place, with defaults per assignment.

An assignment overrides what it needs in its ``LIMITS`` (TensorFlow needs more memory
and time than numpy).
"""
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Limits:
    notebook_seconds: float = 60.0  # wall clock to run every cell of the notebook
    call_seconds: float = 10.0  # wall clock for one call without a budget of its own
    memory_mb: int = 2048  # RLIMIT_AS of the runner (with ``gpu``: its memory cgroup, or the sandbox's watchdog)
    cpu_seconds: int = 600  # RLIMIT_CPU of the runner
    file_size_mb: int = 64  # RLIMIT_FSIZE: largest file the runner may write
    folder_mb: int = 256  # all the runner may write in its working folder (a tmpfs, where namespaces exist)
    open_files: int = 256  # RLIMIT_NOFILE
    processes: int = 256  # tasks (processes and threads) of one sandbox: its pids cgroup and RLIMIT_NPROC
    notebook_bytes: int = 20 * 2**20  # larger submissions are refused unread
    gpu: bool = False  # the GPU profile (``sandbox.gpu_profile``): set by the run when its device is "gpu"

    def with_overrides(self, **changes) -> "Limits":
        return replace(self, **changes)


DEFAULT_LIMITS = Limits()

# Grading as root, each live sandbox runs as a uid of its own from this pool: ids that no
# account uses (far above the ranges of accounts and of user-namespace sub-ids).
SANDBOX_UIDS = range(2_100_000_000, 2_100_004_096)

# Environment variables the runner may see; everything else (tokens, secrets) is dropped.
ENVIRONMENT_ALLOW_LIST = ("PATH", "LANG", "LC_ALL", "TZ")
RUNNER_ENVIRONMENT = {
    "MPLBACKEND": "Agg",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONHASHSEED": "0",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}

# The GPU profile only (``sandbox.gpu_profile``): what CUDA needs of the grading machine's
# environment (which GPUs, the driver's libraries where a container put them elsewhere),
# and TensorFlow told to take GPU memory as it needs it rather than all of it at once.
GPU_ENVIRONMENT_ALLOW_LIST = ("CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "NVIDIA_DRIVER_CAPABILITIES",
                              "LD_LIBRARY_PATH")
GPU_RUNNER_ENVIRONMENT = {"TF_FORCE_GPU_ALLOW_GROWTH": "true"}
