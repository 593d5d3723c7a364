"""Assembling a file's transcript from chunk results: the merge, the quality flags, and the
decisions of the repairs (which gaps to fill, which segments to retry, what a retry
replaces), context prompts and the timeline. Pure: no I/O, no asyncio, no engine calls
(the run layer sends what these decide). Imports only :mod:`stt_toolkit.core`."""
