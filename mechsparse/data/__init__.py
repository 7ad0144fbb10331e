"""Data: the Dataset container and its .npz archive format (the one reader of uploaded files, with its limits), the
papers' synthetic generators (kinds, mixing, and the mechanisms with their variants) and the summaries the Data page
previews. It may import mechsparse.files and mechsparse.theory (a dataset carries its true graphs); never learning,
runs or anything above.
"""
