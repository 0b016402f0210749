"""The ``mer`` command: sub-commands come from builtin modules and plugins via ``mer_cli_commands``.

User errors (``MerError``) print one paragraph and exit 2; other exceptions print a one-line
summary and exit 1 (``--debug`` or ``MER_DEBUG=1`` shows the traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

from rich.markup import escape

from ..errors import MerError

__all__ = ["build_parser", "main"]

EPILOG = """examples:
  mer list fusion                      registered fusion strategies
  mer train --model gated_mlp --dataset demo --epochs 5
  mer bench --model drkf,early_fusion --dataset demo --seeds 2
run `mer COMMAND --help` for the options and an example of each command."""


def version_text() -> str:
    """The toolkit's version and each installed plugin's distribution and version (no plugin is imported)."""
    from .. import __version__
    from ..plugins.host import installed_plugins

    lines = [f"mer-toolkit {__version__}"]
    lines += [f"{dist} {version} (plugin '{name}')" for name, dist, version in installed_plugins()]
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    from ..plugins.host import get_host

    parser = argparse.ArgumentParser(
        prog="mer", description="Multimodal emotion recognition: train, compare and extend MER models.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=version_text(),
                        help="show the versions of the toolkit and of each installed plugin")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    get_host().add_cli_commands(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv or os.environ.get("MER_DEBUG", "") not in ("", "0")
    if not debug:
        warnings.filterwarnings("ignore", category=RuntimeWarning, message="plugin '")
    if os.environ.get("RANK", "0") != "0":  # torchrun: only rank 0 talks
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    from .output import err_console

    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 0
        return int(args.func(args) or 0)
    except MerError as err:
        if debug:
            raise
        err_console.print(f"[bold red]error:[/] {escape(str(err))}")
        return err.exit_code
    except KeyboardInterrupt:
        err_console.print("interrupted; finished results are kept (use --resume to continue a bench)")
        return 130
    except Exception as err:  # noqa: BLE001 - last-resort guard: no traceback walls for users
        if debug:
            raise
        err_console.print(f"[bold red]internal error:[/] {type(err).__name__}: {escape(str(err))} "
                          "(run again with --debug for the traceback and report it)")
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
