"""Figures: pure functions from data to a plotly go.Figure, with fixed colour scales so live updates never rescale.
style (colour scales, latent names, the projector copy), heatmaps (one matrix, or a grid with the truth outlined),
curves (metrics against the step), panels (a run's panels and the presentation layout), replay (a timeline as a
browser animation) and graph_drawings (graph heatmaps, node-link drawing, pattern C). No Streamlit and no disk
here: the pages and the exports call these with what they read. It may import theory and learning (a Snapshot, a
Timeline); never runs, reproduce, teaching or cli.
"""
