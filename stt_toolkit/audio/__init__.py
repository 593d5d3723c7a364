"""Audio: decoding any media to 16 kHz mono FLAC (:mod:`.decode`), the ffmpeg runner
(:mod:`.ffmpeg`), the energy curve (:mod:`.energy`), chunk plans (:mod:`.plan`) and chunk
bytes (:mod:`.encode`). The only code that runs ffmpeg or touches soundfile. Imports only
:mod:`stt_toolkit.core`."""
