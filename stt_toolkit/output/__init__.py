"""Output: subtitle cues built for reading (:mod:`.cues`), one writer per format
(:mod:`.srt`, :mod:`.vtt`, :mod:`.text`, :mod:`.jsondoc`) in one registry
(:mod:`.writers`), and atomic file writes. Imports only :mod:`stt_toolkit.core`."""
