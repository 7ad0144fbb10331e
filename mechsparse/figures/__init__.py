"""Figures: pure functions from data to a plotly go.Figure (edge-probability and correlation heatmaps, metric curves,
a run's panels, the replay animation, graph drawings), with fixed colour scales so live updates never rescale. No
Streamlit and no disk here: the pages and the exports call these with what they read. It may import theory and
learning (a Snapshot, a Timeline); never runs, reproduce, teaching or cli.
"""
