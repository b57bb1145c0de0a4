"""`guidance-bot teams-package`: the installable Teams app zip (manifest.json + the two icons).

deploy/teams/manifest.json is a template with {{APP_ID}} and {{DOMAIN}}; this fills them in, checks
both values first (Teams rejects a package with a malformed id or domain only after upload), and
writes a zip with the three files at its root, as Teams requires.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import uuid
import zipfile
from collections.abc import Sequence
from pathlib import Path

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "teams"
DEFAULT_OUT = "guidance-bot-teams.zip"
_HOST = re.compile(r"^(?=.{1,253}$)(?:\*\.)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class PackageError(ValueError):
    """A bad --app-id or --domain, or a missing template file; the message names which."""


def check_app_id(app_id: str) -> str:
    try:
        return str(uuid.UUID(app_id.strip()))
    except ValueError:
        raise PackageError(f"--app-id must be the bot's Microsoft App ID, a GUID like 00000000-0000-0000-0000-000000000000 (got {app_id!r})") from None


def check_domain(domain: str) -> str:
    """The public host name the bot is served on, without scheme or path ("bot.council.gov.uk")."""
    host = domain.strip().lower().removeprefix("https://").removeprefix("http://").rstrip("/")
    if not _HOST.match(host):
        raise PackageError(f"--domain must be a host name such as bot.example.gov.uk, without a path or port (got {domain!r})")
    return host


def build_manifest(app_id: str, domain: str, template: Path = DEPLOY / "manifest.json") -> dict:
    text = template.read_text(encoding="utf-8")
    return json.loads(text.replace("{{APP_ID}}", check_app_id(app_id)).replace("{{DOMAIN}}", check_domain(domain)))


def build_teams_package(app_id: str, domain: str, out_path: Path | str = DEFAULT_OUT, deploy: Path = DEPLOY) -> Path:
    """Write the zip and return its path."""
    manifest = build_manifest(app_id, domain, deploy / "manifest.json")
    icons = {name: deploy / manifest["icons"][kind] for kind, name in (("color", "color.png"), ("outline", "outline.png"))}
    for path in icons.values():
        if not path.is_file():
            raise PackageError(f"missing icon {path}; run: python -m adapters.teams.icons")
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
        for name, path in icons.items():
            zf.write(path, arcname=name)
    return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--app-id", required=True, help="the Azure Bot's Microsoft App ID (a GUID)")
    parser.add_argument("--domain", required=True, help="host name the bot is served on, e.g. bot.example.gov.uk")
    parser.add_argument("--out", default=DEFAULT_OUT, help=f"zip to write (default {DEFAULT_OUT})")


def run(args: argparse.Namespace) -> int:
    """Exit status like the rest of the CLI: 0 written, 2 bad input (message names it), 1 could not write."""
    try:
        out = build_teams_package(args.app_id, args.domain, args.out)
    except PackageError as exc:
        print(f"teams-package: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"teams-package: could not write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"Wrote {out}: upload it in Teams (Apps > Manage your apps > Upload an app).")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="guidance-bot teams-package", description="Write the installable Teams app zip.")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
