"""Readable terminal output (rich): the answer's section and quoted passage, or the draft with its
flagged words underlined and the guidance and advice for each."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.text import Text

from bot.contracts import AskResult, CheckResult

_SEVERITY_STYLE = {"high": "bold red", "medium": "bold yellow", "low": "bold cyan"}


def _quote(passage: str) -> Text:
    text = Text()
    for i, line in enumerate(passage.splitlines()):
        if i:
            text.append("\n")
        text.append("▌ ", style="dim")
        text.append(line, style="italic")
    return text


def render_answer(console: Console, result: AskResult) -> None:
    if result.answered:
        best = result.results[0]
        body = Group(_quote(best.passage), Text(f"\nGuidance version {result.guidance_version} · section {best.section_id}", style="dim"))
        console.print(Panel(body, title=Text(best.title, style="bold"), title_align="left", border_style="green"))
        others = [r for r in result.results[1:] if r.passage != best.passage]
        if others:
            console.print(Text("Related: " + "; ".join(f"{r.title} ({r.section_id})" for r in others), style="dim"))
        return
    notice = Text(result.notice)  # the list below names the suggestions, with their ids
    if result.results:
        notice.append("\n\nDid you mean:", style="bold")
        for r in result.results:
            notice.append(f"\n • {r.title}", style="cyan")
            notice.append(f"  ({r.section_id})", style="dim")
    console.print(Panel(notice, title="Not covered by the guidance", title_align="left", border_style="yellow"))


def render_check(console: Console, draft: str, result: CheckResult) -> None:
    shown = Text(draft)
    for flag in result.flags:
        shown.stylize(f"underline {_SEVERITY_STYLE[flag.severity]}", flag.start, flag.end)
    if not result.flags:
        console.print(Panel(shown, title="Draft", title_align="left", border_style="green"))
        console.print(Text(f"No risks found against the guidance (version {result.guidance_version}). Use your judgement before posting.", style="green"))
        return
    console.print(Panel(shown, title="Draft (flagged words underlined)", title_align="left", border_style="red"))
    for n, flag in enumerate(result.flags, 1):
        head = Text(f"{n}. {flag.category.replace('_', ' ')} ", style="bold")
        head.append(f"[{flag.severity}]", style=_SEVERITY_STYLE[flag.severity])
        head.append(f'  "{flag.evidence}"')
        lines: list[Text] = [head, Text(f"   Advice: {flag.advice}")]
        if flag.suggestion:
            lines.append(Text(f"   Try instead: {flag.suggestion}", style="green"))
        quote = _quote(flag.passage)
        quote.pad_left(3)
        lines.append(Text(f"   Guidance ({flag.section_id}):", style="dim"))
        lines.append(quote)
        console.print(Group(*lines))
    console.print(Text(f"Guidance version {result.guidance_version}", style="dim"))
