"""Streamlit entry point: navigation over the pages, and the sidebar (compute device, tagline)."""

import streamlit as st

from app_state import GRAPHS_KEY, apply_class_mode, class_mode, device_label, job_registry
from mechsparse.theory import graphs

CLASS = class_mode()  # ?mode=class: a page for a projector, without navigation, sidebar or controls
st.set_page_config(page_title="mechsparse", layout="wide", initial_sidebar_state="collapsed" if CLASS else "auto")

# The embedded default: every page finds a graph, even before the Theory page has run.
if GRAPHS_KEY not in st.session_state:
    st.session_state[GRAPHS_KEY] = graphs.preset(graphs.DEFAULT_PRESET)

THEORY = st.Page("views/theory.py", title="Theory", url_path="theory")


def _home() -> None:
    """The app root opens the Theory page at /theory, keeping any ?g= link, so every link has one form."""
    st.switch_page(THEORY, query_params=st.query_params.to_dict())


# Streamlit serves a default page at "/" and ignores its url_path, so the default is a hidden redirect and
# /theory?g=... (the shareable link) really exists.
nav = st.navigation(
    [
        st.Page(_home, title="Home", default=True, visibility="hidden"),
        THEORY,
        st.Page("views/data.py", title="Data", url_path="data"),
        st.Page("views/train.py", title="Train", url_path="train"),
        st.Page("views/runs.py", title="Runs", url_path="runs"),
        st.Page("views/paper.py", title="Paper", url_path="paper"),
        st.Page("views/lessons.py", title="Lessons", url_path="lessons"),
    ],
    position="hidden" if CLASS else "sidebar",  # class mode: Streamlit's own way to show no navigation
)

SIDEBAR_REFRESH_SECONDS = 1.0  # the Train page's own refresh, so the two never disagree for long


@st.fragment(run_every=SIDEBAR_REFRESH_SECONDS if job_registry().live_jobs() else None)
def active_runs() -> None:
    """The runs training now, refreshed on their own while there are any (a page's rerun starts the timer)."""
    live = [job.view() for job in job_registry().live_jobs()]
    if live:
        st.markdown("**Active runs**")
        for view in live:
            step = view.snapshot.step if view.snapshot is not None else 0
            st.markdown(f"- [{view.run_id}](/train?run={view.run_id}) · {view.status} · step {step:,}")


if not CLASS:  # with nothing in it and no navigation, Streamlit shows no sidebar at all
    with st.sidebar:
        st.markdown(f"**Device:** {device_label()}")
        active_runs()
        st.caption("mechsparse: which latents mechanism sparsity can disentangle, and learning them live.")

apply_class_mode()  # ?mode=class: large type (for a projector)
nav.run()
