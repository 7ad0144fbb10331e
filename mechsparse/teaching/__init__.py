"""Teaching: the Lessons page's chapters (chapters/*.md, data with a TOML header), the recorded runs they replay
(recorded/, rebuilt by `python -m mechsparse record-lessons`), each chapter's interactive figure, and the auto-graded
exercises, one module per kind, every answer checked by the theory engine. It may import every package below it
(files up to runs); never reproduce or cli.
"""
