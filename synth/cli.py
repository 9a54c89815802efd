"""The `synth` command line: parse, call, report. Bad input is one line on stderr and exit code 2."""

from __future__ import annotations

import json
import logging
import sys
import traceback
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from . import __version__
from .errors import SynthError


class OneLineErrors(TyperGroup):
    """Every failure is one `error:` line on stderr: usage errors (a missing argument, a value out
    of range) exit 2 like any bad input; anything unexpected exits 1, its traceback only with --debug."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            code = super().main(*args, **kwargs)  # without standalone mode, typer.Exit(n) comes back as n
            sys.exit(code if isinstance(code, int) else 0)
        except typer.Exit as e:
            sys.exit(e.exit_code)
        except typer.Abort:
            typer.echo("error: aborted", err=True)
            sys.exit(130)
        except typer.TyperException as e:  # the parser's usage errors: a missing argument, a value out of range
            ctx = getattr(e, "ctx", None)
            if type(e).__name__ == "NoArgsIsHelpError" and ctx is not None:
                typer.echo(ctx.get_help())
                sys.exit(0)
            where = f"{ctx.command_path}: " if ctx is not None else ""
            message = e.format_message() if hasattr(e, "format_message") else str(e)
            typer.echo(f"error: {where}{' '.join(message.split())}", err=True)
            sys.exit(2)
        except KeyboardInterrupt:
            typer.echo("error: interrupted", err=True)
            sys.exit(130)
        except Exception as e:  # a bug or an environment problem: never a traceback without --debug
            if _state["debug"]:
                traceback.print_exception(e)
            detail = str(e).splitlines()[0] if str(e) else ""
            typer.echo(
                f"error: unexpected {type(e).__name__}{': ' + detail if detail else ''} (rerun with --debug for details)",
                err=True,
            )
            sys.exit(1)


app = typer.Typer(
    cls=OneLineErrors,
    add_completion=True,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Synthetic training data for industrial vision: CAD parts -> PBR renders -> exact COCO labels.",
)
_state = {"debug": False}


class OnError(StrEnum):
    stop = "stop"
    skip = "skip"


class Backend(StrEnum):
    local = "local"
    ray = "ray"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"synth {__version__}")
        raise typer.Exit(0)


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="show tracebacks and debug logs")] = False,
    version: Annotated[
        bool, typer.Option("--version", "-V", callback=_version, is_eager=True, help="print the version and exit")
    ] = False,
) -> None:
    _state["debug"] = debug
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("synth").setLevel(logging.DEBUG if debug else logging.WARNING)
    logging.getLogger("trimesh").setLevel(logging.ERROR)  # its warnings about meshes it repairs are noise here


def _fail(e: BaseException, code: int = 2) -> None:
    if _state["debug"]:
        traceback.print_exception(e)
    typer.echo(f"error: {e}", err=True)
    raise typer.Exit(code)


def _load(config: Path, overrides: list[str] | None, seed: int | None = None, n: int | None = None):
    from .config import config_from_dict, load_config

    cfg = load_config(config, overrides)
    if seed is not None or n is not None:
        raw = cfg.model_dump(mode="json")
        raw.update({k: v for k, v in (("seed", seed), ("num_images", n)) if v is not None})
        base = cfg.base_dir
        cfg = config_from_dict(raw, base_dir=base, source=str(config))
    return cfg


@app.command()
def generate(
    config: Annotated[Path, typer.Argument(help="YAML config")],
    out: Annotated[Path | None, typer.Option("-o", "--out", help="output folder [default: output/<name>]")] = None,
    n: Annotated[int | None, typer.Option("-n", "--num-images", min=1, help="number of images (overrides the config)")] = None,
    seed: Annotated[int | None, typer.Option("--seed", min=0, help="random seed (overrides the config)")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="override a config key: key.path=value (repeatable)")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="replace a previous dataset in OUT")] = False,
    resume: Annotated[bool, typer.Option("--resume", help="finish an interrupted run in OUT")] = False,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="no progress bar")] = False,
    workers: Annotated[
        int | None,
        typer.Option("-w", "--workers", min=1, help="processes rendering in parallel, same output (default: all cores)"),
    ] = None,
    shard: Annotated[str | None, typer.Option("--shard", help="only shard I of N (1-based); see synth merge")] = None,
    on_error: Annotated[
        OnError, typer.Option("--on-error", help="a frame that fails twice: stop the run, or skip it and go on")
    ] = OnError.stop,
    backend: Annotated[
        Backend, typer.Option("--backend", help="local processes, or Ray (pip install 'synth\\[ray]')")
    ] = Backend.local,
    address: Annotated[str | None, typer.Option("--address", help="Ray cluster address (default: a local Ray)")] = None,
) -> None:
    """Generate a dataset: images, COCO annotations, resolved config and a dataset card."""
    from .backends.threads import cores, default_workers
    from .runner import generate as run

    try:
        limit = 4 * cores() if backend == Backend.local else 10_000
        if workers is not None and workers > limit:
            per = "(4 per core here)" if backend == Backend.local else "actors"
            raise SynthError(f"--workers {workers}: at most {limit} {per}")
        cfg = _load(config, set_, seed, n)
        out = out or Path("output") / cfg.name
        summary = run(
            cfg,
            out,
            overwrite=overwrite,
            resume=resume,
            progress=not quiet,
            workers=workers or default_workers(),
            on_error=on_error.value,
            shard=_shard(shard),
            backend=backend.value,
            address=address,
        )
    except SynthError as e:
        _fail(e)
    except KeyboardInterrupt:
        if out is None or not (out / ".synth").is_dir():
            typer.echo("\ninterrupted before any frame was written; nothing to resume", err=True)
            raise typer.Exit(130) from None
        typer.echo(
            f"\ninterrupted; finished frames are kept. Resume with: synth generate {config} -o {out} --resume"
            + (f" --seed {seed}" if seed is not None else "")
            + (f" -n {n}" if n is not None else "")
            + (f" --shard {shard}" if shard else "")
            + "".join(f" --set {s}" for s in set_ or []),
            err=True,
        )
        raise typer.Exit(130) from None
    per_cat = ", ".join(f"{k}: {v}" for k, v in summary.annotations_per_category.items()) or "none"
    rate = summary.rendered / summary.seconds if summary.seconds > 0 else 0.0
    if summary.notes:
        first = next(iter(summary.notes.values()))[0]
        typer.echo(f"note: {len(summary.notes)} frame(s) had no room for every part and hold fewer ({first})")
    for i, reason in summary.failed.items():
        typer.echo(f"warning: frame {i} failed twice and is left out ({reason})", err=True)
    typer.echo(
        f"{sum(summary.images.values())} images ({', '.join(f'{k} {v}' for k, v in summary.images.items())}), "
        f"{summary.annotations} annotations ({per_cat}) in {summary.seconds:.1f} s ({rate:.2f} images/s) -> {summary.out}"
    )
    if summary.renderer:
        typer.echo(f"rendered by {summary.renderer}")


@app.command()
def merge(
    out: Annotated[Path, typer.Argument(help="folder for the merged dataset")],
    shards: Annotated[list[Path], typer.Argument(help="shard folders made with synth generate --shard I/N")],
    overwrite: Annotated[bool, typer.Option("--overwrite", help="replace a previous dataset in OUT")] = False,
) -> None:
    """Join the shards of one run into a single dataset (same as one run of all frames)."""
    from .writers.merge import merge_shards

    try:
        stats = merge_shards(out, shards, overwrite)
    except SynthError as e:
        _fail(e)
    typer.echo(
        f"{sum(stats['images'].values())} images ({', '.join(f'{k} {v}' for k, v in stats['images'].items())}), "
        f"{stats['annotations']} annotations from {len(shards)} shard(s) -> {out}"
    )


def _shard(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    i, sep, n = text.partition("/")
    if not (sep and i.isdigit() and n.isdigit()) or not 1 <= int(i) <= int(n):
        raise SynthError(f"--shard {text}: expected I/N with 1 <= I <= N, e.g. --shard 2/8")
    return int(i), int(n)


@app.command()
def validate(dataset: Annotated[Path, typer.Argument(help="dataset folder made by synth generate")]) -> None:
    """Check every label invariant; exit 1 listing the violations."""
    from .tools.validate import validate_dataset

    if not dataset.is_dir():
        _fail(SynthError(f"{dataset}: not a folder"))
    summary, bad = validate_dataset(dataset)
    for split, c in summary.items():
        typer.echo(
            f"{split}: {c.get('images', 0)} images, {c.get('annotations', 0)} annotations, {c.get('categories', 0)} categories"
        )
    if bad:
        for b in bad[:200]:
            typer.echo(f"violation: {b}", err=True)
        typer.echo(f"{len(bad)} violation(s)", err=True)
        raise typer.Exit(1)
    typer.echo("ok: every invariant holds")


@app.command()
def preview(
    source: Annotated[Path, typer.Argument(help="a config (renders frames in memory) or a dataset folder")],
    out: Annotated[Path, typer.Option("-o", "--out", help="contact sheet PNG")] = Path("preview.png"),
    n: Annotated[int, typer.Option("-n", min=1, help="number of frames")] = 16,
    set_: Annotated[list[str] | None, typer.Option("--set", help="override a config key")] = None,
    defects: Annotated[bool, typer.Option("--defects", help="defect close-ups, largest of each kind")] = False,
) -> None:
    """Contact sheet of frames with masks, boxes and category names, to check labels by eye."""
    from .tools.preview import defect_closeups, from_config, from_dataset, sheet

    try:
        if source.is_dir() and defects:
            tiles = defect_closeups(source, n)
        elif source.is_dir():
            tiles = from_dataset(source, n)
        else:
            tiles = from_config(_load(source, set_), n, defects)
        if not tiles:
            raise SynthError(f"{source}: no images to show")
        sheet(tiles).save(out)
    except SynthError as e:
        _fail(e)
    except OSError as e:
        _fail(SynthError(f"{out}: cannot write ({e})"))
    typer.echo(f"wrote {out} ({len(tiles)} frames)")


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="where to write the starter config")] = Path("synth.yaml"),
    force: Annotated[bool, typer.Option("--force", help="replace an existing file")] = False,
) -> None:
    """Write a commented starter config."""
    from .tools.starter import STARTER

    if path.exists() and not force:
        _fail(SynthError(f"{path}: exists (use --force to replace it)"))
    try:
        path.write_text(STARTER)
    except OSError as e:
        _fail(SynthError(f"{path}: cannot write ({e.strerror})"))
    typer.echo(f"wrote {path}; run: synth generate {path}")


@app.command()
def schema() -> None:
    """Print the config's JSON Schema."""
    from .config import Config

    typer.echo(json.dumps(Config.model_json_schema(), indent=2))


@app.command()
def bench(
    config: Annotated[Path, typer.Argument(help="config to measure")] = Path("configs/quickstart.yaml"),
    n: Annotated[int, typer.Option("-n", min=5, help="frames for the speed runs")] = 40,
    rss_frames: Annotated[int, typer.Option("--rss-frames", min=0, help="frames for the memory run (0: skip)")] = 0,
    out: Annotated[Path, typer.Option("-o", "--out", help="JSON results")] = Path("output/bench.json"),
    set_: Annotated[list[str] | None, typer.Option("--set", help="override a config key")] = None,
    defects: Annotated[bool, typer.Option(help="also time the same scene with defects")] = True,
    features: Annotated[bool, typer.Option(help="also time each realism feature (lens, sensor, amodal, depth, rigs)")] = False,
    stages: Annotated[bool, typer.Option(help="also time each stage of a frame, one after another")] = False,
    passes: Annotated[
        bool, typer.Option(help="also time the RGB render with each realism pass (shadows, AO, tone mapping, FXAA) alone")
    ] = False,
    scaling: Annotated[bool, typer.Option(help="also time workers pinned to 1 or all cores, 640x480 and 1920x1200")] = False,
    big_mesh: Annotated[bool, typer.Option(help="also time a 2-million-face part: load, rest poses, frames")] = False,
    polygons: Annotated[bool, typer.Option(help="also time polygon writing: real frames' masks and the worst masks")] = False,
) -> None:
    """Throughput and memory benchmark: end-to-end vs bare RGB render, defects, realism features, RSS over a long run."""
    from .tools.bench import run_bench

    try:
        run_bench(_load(config, set_), n, rss_frames, out, defects, features, stages, scaling, big_mesh, polygons, passes)
    except SynthError as e:
        _fail(e)


@app.command()
def stats(
    dataset: Annotated[Path, typer.Argument(help="dataset folder made by synth generate")],
    out: Annotated[Path | None, typer.Option("-o", "--out", help="folder for the report (default: DATASET_stats)")] = None,
) -> None:
    """Statistics of a dataset as plots, stats.json and one self-contained report.html."""
    from .tools.stats import write_report

    folder = out or dataset.parent / f"{dataset.name}_stats"
    try:
        s = write_report(dataset, folder)
    except SynthError as e:
        _fail(e)
    defects = sum(s["defect_kinds"].values())
    typer.echo(f"{s['images']} images, {s['annotations']} parts, {defects} defects -> {folder / 'report.html'}")


export_app = typer.Typer(
    cls=OneLineErrors,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Write a dataset in another tool's layout (YOLO, MVTec AD).",
)
app.add_typer(export_app, name="export")


class YoloTask(StrEnum):
    detect = "detect"
    segment = "segment"


@export_app.command("yolo")
def export_yolo_cmd(
    dataset: Annotated[Path, typer.Argument(help="dataset folder made by synth generate")],
    out: Annotated[Path, typer.Argument(help="new (or empty) folder for the YOLO dataset")],
    task: Annotated[YoloTask, typer.Option(help="boxes (detect) or outlines (segment)")] = YoloTask.detect,
    copy: Annotated[bool, typer.Option("--copy", help="copy the images instead of linking them")] = False,
) -> None:
    """ultralytics YOLO layout: data.yaml, images/<split> (links or copies), labels/<split>."""
    from .tools.yolo import export_yolo

    try:
        counts = export_yolo(dataset, out, task.value, copy)
    except SynthError as e:
        _fail(e)
    typer.echo(f"{counts['images']} images, {counts['objects']} objects -> {out / 'data.yaml'}")


class MvtecBy(StrEnum):
    part = "part"
    frame = "frame"


@export_app.command("mvtec")
def export_mvtec_cmd(
    dataset: Annotated[Path, typer.Argument(help="dataset folder made by synth generate, with defects")],
    out: Annotated[Path, typer.Argument(help="new (or empty) folder for the MVTec AD layout")],
    by: Annotated[MvtecBy, typer.Option(help="one sample per part (a crop) or per frame")] = MvtecBy.part,
) -> None:
    """MVTec AD layout for anomaly detection: <category>/train/good, test/good, test/<kind>, ground_truth/<kind>."""
    from .tools.mvtec import export_mvtec

    try:
        result = export_mvtec(dataset, out, by.value)
    except SynthError as e:
        _fail(e)
    for folder, n in result["samples"].items():
        typer.echo(f"{folder}: {n}")
    for why, n in result["skipped"].items():
        typer.echo(f"left out: {n} {why}")
    typer.echo(f"-> {out}")


@app.command()
def parts(
    out: Annotated[Path, typer.Argument(help="folder to write the meshes into (e.g. my_meshes/)")],
    force: Annotated[bool, typer.Option("--force", help="replace meshes of the same names in OUT")] = False,
) -> None:
    """Build the parametric demo meshes (the ones bundled as synth:meshes/...) into OUT."""
    from .parts import PARTS, build_all

    clash = sorted(name for name in PARTS if (out / name).exists())
    if clash and not force:
        _fail(SynthError(f"{out}: would replace {', '.join(clash[:3])}{' ...' if len(clash) > 3 else ''} (use --force)"))
    if out.exists() and not out.is_dir():
        _fail(SynthError(f"{out}: exists and is not a folder"))
    try:
        for p in build_all(out):
            typer.echo(str(p))
    except OSError as e:
        _fail(SynthError(f"{out}: cannot write ({e.strerror or e})"))


@app.command()
def doctor(
    out: Annotated[Path, typer.Option("-o", "--out", help="where datasets will go (disk check)")] = Path("output"),
) -> None:
    """Check this machine: off-screen OpenGL (and which renderer), memory, disk, optional extras."""
    from .tools.doctor import checks

    rows = checks(out)
    for ok, line in rows:
        typer.echo(f"{'ok' if ok else 'FAIL' if ok is False else '--'}  {line}")
    if any(ok is False for ok, _ in rows):
        raise typer.Exit(1)


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
