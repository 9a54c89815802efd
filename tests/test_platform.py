"""What renders: the GPU devices found over EGL (none here: llvmpipe), how workers share them,
and the run's summary saying which renderer did the work."""

from __future__ import annotations

from synth.render import platform

from .conftest import run_cli, small_config


def test_workers_take_the_gpus_in_turn_and_keep_the_default_without():
    assert [platform.device_for(k, (0, 1, 3)) for k in range(5)] == [0, 1, 3, 0, 1]
    assert platform.device_for(4, ()) is None


def test_gpu_devices_are_egl_devices_that_are_not_software():
    from vtkmodules.vtkRenderingOpenGL2 import vtkEGLRenderWindow

    n = vtkEGLRenderWindow().GetNumberOfDevices()
    assert n >= 1
    for d in platform.gpu_devices():
        assert 0 <= d < n and not platform.is_software(platform.gl_info(d)["renderer"])
    all_software = all(platform.is_software(platform.gl_info(d)["renderer"]) for d in range(n))
    assert all_software == (platform.gpu_devices() == ())  # a machine without GPUs (this one) lists none


def test_generate_says_what_rendered_the_frames(tmp_path):
    res = run_cli("generate", small_config(tmp_path, num_images=2), "-o", tmp_path / "out", "-q", "-w", "1")
    assert res.exit_code == 0, res.output
    line = next(ln for ln in res.output.splitlines() if ln.startswith("rendered by "))
    renderer = platform.gl_info()["renderer"]
    assert renderer in line
    assert ("on the CPU" in line) == platform.is_software(renderer)
