"""The zip `teams-package` writes: a manifest Teams accepts, icons of the required sizes, our bot id."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from adapters.teams.bot import CHECK_POST_COMMAND
from adapters.teams.package import main

APP_ID = "0b9c5a4e-1d2f-4e3a-9b8c-7d6e5f4a3b2c"
DOMAIN = "guidance.example.gov.uk"


def _png(data: bytes) -> tuple[int, int, int, bytes]:
    """(width, height, colour type, raw scanlines) from a PNG's header and image data."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert data[12:16] == b"IHDR" and depth == 8
    idat, pos = b"", 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        if data[pos + 4 : pos + 8] == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    return width, height, colour, zlib.decompress(idat)


@pytest.fixture
def package(tmp_path: Path) -> zipfile.ZipFile:
    out = tmp_path / "app.zip"
    assert main(["--app-id", APP_ID, "--domain", f"https://{DOMAIN}/", "--out", str(out)]) == 0
    return zipfile.ZipFile(out)


def test_manifest_has_the_required_fields_and_our_bot(package: zipfile.ZipFile) -> None:
    assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
    manifest = json.loads(package.read("manifest.json"))
    for field in ("manifestVersion", "id", "version", "developer", "name", "description", "icons", "accentColor"):
        assert manifest.get(field), field
    assert manifest["id"] == APP_ID
    assert manifest["developer"]["websiteUrl"].startswith("https://")
    assert len(manifest["name"]["short"]) <= 30 and len(manifest["description"]["short"]) <= 80
    [bot] = manifest["bots"]
    assert bot["botId"] == APP_ID
    assert set(bot["scopes"]) == {"personal", "team", "groupChat"}
    [extension] = manifest["composeExtensions"]
    assert extension["botId"] == APP_ID
    command = extension["commands"][0]
    assert command["id"] == "checkPost" == CHECK_POST_COMMAND
    assert command["type"] == "action" and command["context"] == ["message"]
    assert DOMAIN in manifest["validDomains"]
    assert "{{" not in json.dumps(manifest)
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}


def test_icons_have_the_sizes_teams_requires(package: zipfile.ZipFile) -> None:
    width, height, _, _ = _png(package.read("color.png"))
    assert (width, height) == (192, 192)
    width, height, colour, raw = _png(package.read("outline.png"))
    assert (width, height) == (32, 32) and colour == 6  # RGBA
    pixels = []
    for y in range(32):
        row = raw[y * (32 * 4 + 1) : (y + 1) * (32 * 4 + 1)]
        assert row[0] == 0, "unfiltered scanlines expected"
        pixels += [tuple(row[1 + 4 * x : 5 + 4 * x]) for x in range(32)]
    visible = [p for p in pixels if p[3]]
    assert visible and all(p[:3] == (255, 255, 255) for p in visible), "outline must be white"
    assert len(visible) < len(pixels) // 2 and pixels[0][3] == 0, "outline background must be transparent"


@pytest.mark.parametrize(("args", "word"), [(["--app-id", "not-a-guid", "--domain", DOMAIN], "--app-id"), (["--app-id", APP_ID, "--domain", "bad host/path"], "--domain")])
def test_bad_values_exit_2_naming_the_option(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], word: str) -> None:
    assert main([*args, "--out", str(tmp_path / "x.zip")]) == 2
    assert word in capsys.readouterr().err
    assert not (tmp_path / "x.zip").exists()
