"""The theory, computed: ground-truth graphs (GraphSpec, the papers' presets, random graphs, the URL text encoding)
and the identifiability engine (the consistency pattern C, which latents are identified, twins and entangled blocks,
with the reasons in plain words). Every claim the app or a lesson makes about C, identification or twins comes from
here. It imports nothing from mechsparse and only numpy: the Theory page and `python -m mechsparse theory` stay fast.
"""
