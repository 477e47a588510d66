"""Session reports: the feedback note, the profile with plots, the annotated transcript.

html = render_html(transcript, profile, feedback, measures)   # one self-contained file
md = render_markdown(...); data = render_json(...)
make_report("session.txt", Assistant(), fmt="html")          # what `alliance report` runs
"""

from assistant.report.html import render_html
from assistant.report.session import REPORT_FORMATS, default_out, make_report, parse_scores
from assistant.report.text import render_json, render_markdown, report_data

__all__ = [
    "REPORT_FORMATS",
    "default_out",
    "make_report",
    "parse_scores",
    "render_html",
    "render_json",
    "render_markdown",
    "report_data",
]
