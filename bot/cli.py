"""`guidance-bot`: ask, check, eval and bench from a terminal or a script.

Exit status: 0 done, 2 a usage or input problem (with a message naming it), 1 the program itself
could not run (for example the model package is missing). The model loads once per process, and
only after the input has been validated, so a bad invocation fails fast.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from rich.console import Console

from bot.assistant import InputError, validate_draft, validate_question
from bot.settings import SettingsError, load_settings

if TYPE_CHECKING:
    from bot.assistant import Assistant

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad arguments or unreadable input: exit 2 with this message."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="guidance-bot", description="Social media guidance assistant for councillors.")
    sub = parser.add_subparsers(dest="command", required=True)
    ask = sub.add_parser("ask", help="answer a question from the guidance (interactive when no question is given)")
    ask.add_argument("question", nargs="*", help="the question; omit for an interactive session")
    check = sub.add_parser("check", help="check a draft post for the risks the guidance names")
    check.add_argument("draft", nargs="*", help="the draft, or - to read it from standard input")
    for cmd in (ask, check):
        mode = cmd.add_mutually_exclusive_group()
        mode.add_argument("--json", action="store_true", help="print one JSON object")
        mode.add_argument("--jsonl", action="store_true", help="read JSON lines from standard input, write one result line each")
    ev = sub.add_parser("eval", help="score the assistant on a JSONL evaluation set")
    ev.add_argument("kind", choices=["questions", "drafts"])
    ev.add_argument("file", nargs="+", help="a JSONL set; several are scored together as one pooled set")
    ev.add_argument("--json", action="store_true")
    serve = sub.add_parser("serve", help="run the web chat, JSON API, health and metrics (and the chat platforms)")
    serve.add_argument("--host", help="address to bind (default GUIDANCE_BOT_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default GUIDANCE_BOT_PORT or 3978)")
    serve.add_argument("--socket-mode", action="store_true", help="connect to Slack over Socket Mode (needs SLACK_APP_TOKEN)")
    teams = sub.add_parser("teams-package", help="write the installable Microsoft Teams app zip")
    from adapters.teams.package import add_arguments as add_teams_package_arguments  # standard library only

    add_teams_package_arguments(teams)
    bench = sub.add_parser("bench", help="measure cold start, warm latency, the encode+search floor and peak RSS")
    bench.add_argument("--iterations", type=int, default=300)
    bench.add_argument("--json", action="store_true")
    from bot.guidance_cli import add_parsers

    add_parsers(sub)  # `guidance ...` and `report` (officers)
    return parser


def _read_stdin() -> str:
    data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"Standard input is not valid UTF-8 (byte {data[exc.start]:#04x} at position {exc.start}).") from None


def _stdin_lines() -> Iterator[bytes]:
    stream = sys.stdin.buffer if hasattr(sys.stdin, "buffer") else None
    if stream is None:
        for line in sys.stdin:
            yield line.encode()
        return
    yield from stream


def _load(console: Console) -> Assistant:
    from bot.runtime import build_assistant

    settings = load_settings()
    return build_assistant(settings)


def _emit(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _jsonl(key: str, run: Callable[[str], dict[str, object]]) -> int:
    """One output line per input line, in order; a bad line gets {"error": ...} and the batch goes on."""
    for n, raw in enumerate(_stdin_lines(), 1):
        if not raw.strip():
            _emit({"error": f"line {n}: empty line"})
            continue
        try:
            obj = json.loads(raw.decode("utf-8"))
            if not isinstance(obj, dict) or not isinstance(obj.get(key), str):
                raise UsageError(f'line {n}: expected an object with a string "{key}"')
            _emit(run(obj[key]))
        except UnicodeDecodeError:
            _emit({"error": f"line {n}: not valid UTF-8"})
        except json.JSONDecodeError as exc:
            _emit({"error": f"line {n}: not valid JSON ({exc.msg})"})
        except (UsageError, InputError) as exc:
            _emit({"error": str(exc) if str(exc).startswith("line") else f"line {n}: {exc}"})
    return EXIT_OK


def _interactive(console: Console, assistant: Assistant) -> int:
    from bot.render import render_answer, render_check

    console.print(f"[bold]Social media guidance assistant[/] · guidance version {assistant.guidance_version}")
    console.print("Ask a question, or type [bold]check:[/] followed by a draft post. Ctrl-D or 'quit' to leave.\n")
    while True:
        try:
            line = console.input("[bold cyan]›[/] ")
        except (EOFError, KeyboardInterrupt):
            console.print()
            return EXIT_OK
        if line.strip().casefold() in {"quit", "exit", "q"}:
            return EXIT_OK
        if not line.strip():
            continue
        from bot.contracts import IncomingMessage

        reply = assistant.handle(IncomingMessage(line))
        if reply.ask is not None:
            render_answer(console, reply.ask)
        elif reply.check is not None:
            render_check(console, line.split(":", 1)[1].strip() if line.lower().startswith("check:") else line, reply.check)
        else:
            console.print(reply.text, style="yellow" if reply.kind == "error" else None)


def _ask(args: argparse.Namespace, console: Console) -> int:
    if args.jsonl:
        assistant = _load(console)
        return _jsonl("q", lambda q: assistant.ask(q).model_dump())
    if not args.question:
        if sys.stdin.isatty() and not args.json:
            return _interactive(console, _load(console))
        question = _read_stdin()
    else:
        question = " ".join(args.question)
    validate_question(question)
    result = _load(console).ask(question)
    if args.json:
        _emit(result.model_dump())
    else:
        from bot.render import render_answer

        render_answer(console, result)
    return EXIT_OK


def _check(args: argparse.Namespace, console: Console) -> int:
    if args.jsonl:
        assistant = _load(console)
        return _jsonl("text", lambda t: assistant.check(t).model_dump())
    if not args.draft or args.draft == ["-"]:
        if not args.draft and sys.stdin.isatty():
            raise UsageError("Give the draft as an argument, or - to read it from standard input.")
        draft = _read_stdin()
    else:
        draft = " ".join(args.draft)
    validate_draft(draft)
    result = _load(console).check(draft)
    if args.json:
        _emit(result.model_dump())
    else:
        from bot.render import render_check

        render_check(console, draft, result)
    return EXIT_OK


def _eval(args: argparse.Namespace, console: Console) -> int:
    from bot.evaluate import print_report, read_jsonl, score_drafts, score_questions

    rows = [row for file in args.file for row in read_jsonl(file)]
    assistant = _load(console)
    report = score_questions(assistant, rows) if args.kind == "questions" else score_drafts(assistant, rows)
    if args.json:
        _emit(report)
    else:
        print_report(console, args.kind, report)
    return EXIT_OK


def _bench(args: argparse.Namespace, console: Console) -> int:
    from bot.bench import print_bench, run_bench

    if args.iterations < 10:
        raise UsageError("--iterations must be at least 10 for percentiles to mean anything.")
    report = run_bench(load_settings(), iterations=args.iterations)
    if args.json:
        _emit(report)
    else:
        print_bench(console, report)
    return EXIT_OK


def _serve(args: argparse.Namespace, console: Console) -> int:
    from bot.logs import configure_logging
    from bot.serve import check_bind_security, run

    settings = load_settings()
    overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    if args.port is not None and not 1 <= args.port <= 65535:
        raise UsageError("--port must be between 1 and 65535.")
    settings = settings.model_copy(update=overrides)
    check_bind_security(settings)
    configure_logging(settings.log_level if settings.log_level != "WARNING" else "INFO")
    run(settings, slack_socket_mode=args.socket_mode)
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    console = Console(stderr=False)
    errors = Console(stderr=True)
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse has printed its usage message
        return EXIT_OK if exc.code == 0 else EXIT_USAGE
    try:
        logging.basicConfig(level=load_settings().log_level, format="%(levelname)s %(name)s: %(message)s")
        if args.command == "teams-package":
            from adapters.teams.package import run as run_teams_package

            return run_teams_package(args)
        if args.command in {"guidance", "report"}:
            from bot.guidance_cli import run as run_guidance

            return run_guidance(args)
        handler = {"ask": _ask, "check": _check, "eval": _eval, "bench": _bench, "serve": _serve}[args.command]
        return handler(args, console)
    except (UsageError, InputError) as exc:
        errors.print(f"[bold red]Error:[/] {exc}", highlight=False)
        return EXIT_USAGE
    except SettingsError as exc:
        errors.print(f"[bold red]Configuration error:[/] {exc}", highlight=False)
        return EXIT_USAGE
    except FileNotFoundError as exc:
        errors.print(f"[bold red]Error:[/] file not found: {exc.filename}", highlight=False)
        return EXIT_USAGE
    except RuntimeError as exc:
        errors.print(f"[bold red]Error:[/] {exc}", highlight=False)
        return EXIT_FAILURE
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        return 130
