"""Teaching: the Lessons page's chapters (chapters/*.md, data with a TOML header), the recorded runs they replay
(recorded/, rebuilt by `python -m mechsparse record-lessons`), each chapter's interactive figure, what the page shows
and says about them (lesson_view), and the auto-graded exercises (exercises/: one module per kind, every answer
checked by the theory engine, and the session's scorecard). It may import every package below it (files up to
runs); never reproduce or cli.
"""
