"""The app's shared glue: it listens on this machine only, and untrusted text never renders as markup."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from app_state import escape_markdown

ROOT = Path(__file__).resolve().parent.parent


def test_streamlit_run_listens_on_loopback_only():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"


def test_no_deploy_button_on_a_local_lab():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["toolbarMode"] == "viewer"  # Streamlit shows "Deploy" only in developer mode


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("**bold**", "\\*\\*bold\\*\\*"),
        ("[click](javascript:alert(1))", "\\[click\\]\\(javascript\\:alert\\(1\\)\\)"),
        (":red[alarm] :smile:", "\\:red\\[alarm\\] \\:smile\\:"),
        ("<img src=x>", "\\<img src\\=x\\>"),
        ("$x^2$ `code`", "\\$x^2\\$ \\`code\\`"),
        ("- a list\n# heading", "\\- a list \\# heading"),
        ("12. numbered", "12\\. numbered"),
        ("plain-name_v2.npz", "plain-name\\_v2.npz"),
    ],
)
def test_escape_markdown(text, shown):
    assert escape_markdown(text) == shown
