"""The ``drrn`` command line: upscale, eval, train, info (one module each), and the sub-commands other
installed packages register (the export stage: export, qat, bench, demo, serve-demo).

User errors (bad files, bad options) print one line ``drrn: error: ...`` and exit 2;
nothing is written when the input is bad.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import warnings
from typing import NoReturn

from drrn_tf.cli.options import epilog, memory_mb, one_line, positive  # the names other packages' sub-commands use
from drrn_tf.cli.process import LibraryLogToStderr, NativeStderrSilenced, Terminated, exit_process, on_sigterm, own_process
from drrn_tf.errors import DrrnError

# What the commands refuse, and why: printed by `drrn --help`, and quoted in the README.
REFUSALS = """\
what drrn refuses -- one line on stderr naming the file, exit status 2, nothing written:
  inputs   that are not regular files (a folder, a device, a FIFO, a link loop); not PNG, JPEG,
           TIFF, WebP, BMP or GIF (the format is decided once, from the first bytes, and the file
           is decoded as that format only); truncated or corrupt; whose header claims more than
           --max-pixels; whose pixels (the decoder's peak, or input, output and the network's
           output at its own scale) leave under 96 MiB of --memory-mb; a scale outside 1-16, or
           a size that would shrink a side or grow one more than 16 times; transparency into JPEG
  outputs  that are an input of the run (by inode too), a folder, a device, a FIFO or a symbolic
           link; an existing file without --overwrite or --skip-existing, also one another run
           wrote meanwhile (files are moved into place only if the name is still free); larger
           than their format holds (JPEG 65,500 pixels a side, WebP 16,383, PNG 1,000,000)
  models   that are not a preset or a .keras, .tflite or .onnx file; .keras archives that unpack to
           more than a model needs, or declare layers of over 4,096 channels; unbuilt models;
           NaN or inf weights (and exports whose output is not finite); graphs declaring over 4 GiB
           of constants; model cards that do not match their file; --ensemble with bicubic, an
           end-to-end RGB model or one fixed to a shape that is not square
  configs  unknown keys; wrong types; values out of range (integers bounded by what a run can do,
           a step's activations by this computer's memory); over 1 MiB or nested over 32 deep;
           a resume whose state.json is corrupt
  and a full disk, a read-only folder or a permission error, in the same one line.
in a folder (or with several inputs) an input that cannot be upscaled is such a line and is
skipped; the others are upscaled, and the run ends with exit status 1"""


__all__ = ["REFUSALS", "build_parser", "main", "run", "epilog", "memory_mb", "one_line", "positive"]


def build_parser() -> argparse.ArgumentParser:
    """The ``drrn`` parser: this package's sub-commands, then those other installed packages register
    (entry-point group ``drrn_tf.commands``; the export stage registers ``export``, ``qat``, ...)."""
    from importlib.metadata import entry_points

    from drrn_tf import __version__
    from drrn_tf.cli import evaluate, info, train, upscale
    from drrn_tf.cli.options import Parser

    p = Parser(
        prog="drrn",
        description="DRRN super-resolution (Tai et al., CVPR 2017) in TensorFlow/Keras.",
        epilog=REFUSALS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--debug", action="store_true", help="show the full traceback behind an error (also DRRN_DEBUG=1)")
    p.add_argument("--version", action="version", version=f"drrn-tf {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)
    for command in (upscale, evaluate, train, info):
        command.register(sub)
    for ep in entry_points(group="drrn_tf.commands"):
        ep.load()(sub)
    return p


def run() -> NoReturn:
    """The ``drrn`` program (its console script, and ``python -m drrn_tf``): ``main()``, then exit with its
    status -- at once if Ctrl-C or SIGTERM left a network call running (``exit_process``)."""
    own_process()
    try:
        code = main()
    except KeyboardInterrupt as e:  # a second Ctrl-C or SIGTERM, landing while main() handled the first
        code = 143 if isinstance(e, Terminated) else 130
    exit_process(code)


def main(argv: list[str] | None = None) -> int:
    import signal
    import threading

    main_thread = threading.current_thread() is threading.main_thread()  # signal handlers can only be set there
    if main_thread:
        previous = signal.signal(signal.SIGTERM, on_sigterm)  # the drrn command owns its process
    argv = sys.argv[1:] if argv is None else [str(a) for a in argv]
    debug = os.environ.get("DRRN_DEBUG") == "1" or "--debug" in argv
    try:
        parser = build_parser()
        if not [a for a in argv if a != "--debug"]:  # bare `drrn`: the usage, then what to do
            parser.print_help()
            print("\ndrrn: error: choose a command (for example: drrn upscale photo.jpg -s 2 -o photo_x2.png)", file=sys.stderr)
            return 2
        args = parser.parse_args(argv)
        args.command_line = "drrn " + shlex.join(a for a in argv if a != "--debug")  # what a command records as its own
        quiet = not debug and not os.environ.get("DRRN_VERBOSE_TF")
        if quiet:
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # the command's own process: absl's INFO lines too
        with NativeStderrSilenced(quiet), LibraryLogToStderr(), warnings.catch_warnings():
            if not debug:  # libraries' warnings (Pillow, numpy, Keras) are not the command's lines; --debug shows them
                warnings.simplefilter("ignore")
            return args.func(args)  # TensorFlow is imported by what needs it (not by upscale --runtime litert)
    except DrrnError as e:
        if debug:
            import traceback

            traceback.print_exc()
        message = str(e)
        model = getattr(locals().get("args"), "model", None)
        if e.__class__.__name__ == "UnsupportedModel" and model:  # a layer's complaint: say whose layer
            message = f"{model}: {message}"
        print(f"drrn: error: {one_line(message)}", file=sys.stderr)
        return 2
    except MemoryError:
        print("drrn: error: out of memory (a smaller --memory-mb, --tile or image needs less)", file=sys.stderr)
        return 2
    except Terminated:
        print("drrn: terminated", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print("drrn: interrupted", file=sys.stderr)
        return 130
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)
