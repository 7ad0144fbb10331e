"""Streamlit-side glue shared by the pages: the process-wide job registry and session keys.

The library (mechsparse/) knows nothing of Streamlit; this module is the one place that binds the two.
"""

from __future__ import annotations

import os
import re

import streamlit as st
import torch
from streamlit.runtime.pages_manager import PagesManager

from mechsparse import figures, graphs
from mechsparse.jobs import JobRegistry
from mechsparse.sweep import GridRegistry

# Session-state keys shared by pages and app.py (widget keys stay beside their widgets).
GRAPHS_KEY = "graphs"  # GraphSpec shown on the Theory page
DATASET_KEY = "dataset"  # Dataset chosen on the Data page
DATASET_CHOICE_KEY = "_data_chosen"  # where the chosen dataset came from, and a token for the preview caches
UPLOAD_KEY = "_data_upload_key"  # the uploaded file last read (so a rerun does not read it again)
UPLOAD_ERROR_KEY = "_data_upload_error"  # its one-line error, if it was refused
THEORY_ERROR_KEY = "_theory_error"  # the Theory page's last one-line error about an edited graph
THEORY_READY_KEY = "_theory_ready"  # the Theory page has read its ?g= link once this session
THEORY_VERSION_KEY = "_theory_ver"  # bumped when the graph changes, so its editor widgets are rebuilt
EXPORT_KEY = "_runs_export_zip"  # (run ids, zip bytes) prepared on the Runs page

_MARKDOWN_SPECIAL = set("\\`*_[]()<>#|~$:!{}=")


@st.cache_resource
def job_registry() -> JobRegistry:
    """One registry for every browser session of this server, so a refresh or a second browser reattaches."""
    return JobRegistry(max_concurrent=int(os.environ.get("MECHSPARSE_MAX_JOBS", "2")))


@st.cache_resource
def grid_registry() -> GridRegistry:
    """The grids this server trains (the Paper page's), shared by every browser session like the job registry."""
    return GridRegistry()


@st.cache_resource(max_entries=16, show_spinner=False)
def _thumbnail(graph_code: str):
    return figures.graph_thumbnail(graphs.decode(graph_code))


def graph_thumbnail(spec: graphs.GraphSpec):
    """figures.graph_thumbnail, built once per graph and shared by the Data and Train pages (read-only)."""
    return _thumbnail(graphs.encode(spec))


def escape_markdown(text: object) -> str:
    """Untrusted text (file names, run labels, messages) for st.markdown and st.error, shown as written and never
    as markup: line breaks flattened, and every character that can open markup inside a line backslash-escaped
    (emphasis, links, HTML, code, math, Streamlit's :colour[] and :emoji: directives), plus a leading list marker."""
    flat = " ".join(str(text).split())
    escaped = "".join(f"\\{ch}" if ch in _MARKDOWN_SPECIAL else ch for ch in flat)
    escaped = re.sub(r"^(\d+)\.", r"\1\\.", escaped)  # "1. x" would open a numbered list
    return re.sub(r"^([-+])", r"\\\1", escaped)  # "- x" a bulleted one


def device_label() -> str:
    """'CUDA (<gpu name>)' when a GPU is usable, else 'CPU'."""
    if torch.cuda.is_available():
        return f"CUDA ({torch.cuda.get_device_name(0)})"
    return "CPU"


def use_app_navigation() -> None:
    """Call first in every page. A fresh server whose first request is a deep link (/train?run=...) runs the page
    through Streamlit's legacy pages/ mode, without app.py; switch that mode off and rerun so app.py's
    st.navigation (layout, sidebar) takes over."""
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
