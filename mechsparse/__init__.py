"""mechsparse: mechanism-sparsity disentanglement, as a library (no Streamlit here)."""

__version__ = "0.1.0"
