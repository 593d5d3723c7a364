"""Running jobs: the one per-file path (:mod:`.file`) with the concurrent chunk uploader
(:mod:`.chunks`) and the repairs that send extra requests (:mod:`.repairs`); many files at
once (:mod:`.batch`); the resume cache, output manifest, output-folder lock and input
discovery; ``prepare``; and the library's front door (:mod:`.facade`). Imports every
layer below it, never :mod:`stt_toolkit.cli`."""
