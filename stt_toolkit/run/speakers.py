"""A file's speaker turns, found beside its transcription and kept for resume."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict

from ..core.options import RunOptions
from ..core.records import AudioInfo, SpeakerTurn
from ..engines.diarize import LINK_SIMILARITY, WINDOW_SECONDS, diarize_file
from ..engines.speakers import Diarizer
from .cache import ChunkCache

log = logging.getLogger("stt_toolkit")


async def speaker_turns(info: AudioInfo, diarizer: Diarizer, options: RunOptions,
                        cache: ChunkCache | None = None) -> list[SpeakerTurn]:
    """The speaker turns of the decoded audio ``info`` (in a worker thread, so the chunks'
    requests go on meanwhile); with a ``cache``, found once per audio and count."""
    count = options.speaker_count()
    key = None
    if cache is not None:
        params = [asdict(count), WINDOW_SECONDS, LINK_SIMILARITY]
        key = await asyncio.to_thread(cache.turns_key, info.path, diarizer.name, params)
        if (stored := cache.get_turns(key)) is not None:
            return stored
    turns = await asyncio.to_thread(diarize_file, info.path, diarizer, count)
    found = len({t.speaker for t in turns})
    log.info("%s: %d speaker(s) in %d turn(s)", info.source, found, len(turns))
    if (count.low is not None and found < count.low) or (count.high is not None and found > count.high):
        log.warning("%s: %s speaker(s) asked for, %d found (too little speech for more, or turns too short "
                    "to keep)", info.source, count.exact or f"{count.low or 1}-{count.high or 'any'}", found)
    if cache is not None and key is not None:
        cache.put_turns(key, turns)
    return turns
