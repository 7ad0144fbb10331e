"""Streamlit-side glue shared by the pages: the process-wide job registry and session keys.

The library (mechsparse/) knows nothing of Streamlit; this module is the one place that binds the two.
"""

from __future__ import annotations

import os

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from mechsparse.jobs import JobRegistry

GRAPHS_KEY = "graphs"  # GraphSpec shown on the Theory page
DATASET_KEY = "dataset"  # Dataset chosen on the Data page


@st.cache_resource
def job_registry() -> JobRegistry:
    """One registry for every browser session of this server, so a refresh or a second browser reattaches."""
    return JobRegistry(max_concurrent=int(os.environ.get("MECHSPARSE_MAX_JOBS", "2")))


def device_label() -> str:
    """'CUDA (<gpu name>)' when a GPU is usable, else 'CPU'."""
    import torch

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
