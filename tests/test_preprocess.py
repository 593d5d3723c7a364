"""Preprocessing with real ffmpeg on every kind of input, and every kind of bad input."""

from __future__ import annotations

import io
import os
import random
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import stt_toolkit as stt
from stt_toolkit.audio.decode import build_command, preprocess
from stt_toolkit.audio.ffmpeg import FFMPEG_ENV, bundled_ffmpeg, ffmpeg_binary
from stt_toolkit.core.records import SAMPLE_RATE, AudioInfo
from stt_toolkit.run.inputs import find_media_files
from tests.conftest import MakeMedia, sine_input


def dominant_frequency(path: Path) -> float:
    data, sr = sf.read(path, dtype="float32")
    spectrum = np.abs(np.fft.rfft(data * np.hanning(len(data))))
    return float(np.fft.rfftfreq(len(data), 1 / sr)[spectrum.argmax()])


def assert_target_flac(info: AudioInfo, seconds: float, tolerance: float = 0.06) -> None:
    sfinfo = sf.info(info.path)
    assert (sfinfo.format, sfinfo.subtype, sfinfo.samplerate, sfinfo.channels) == ("FLAC", "PCM_16", 16000, 1)
    assert info.frames == sfinfo.frames
    assert info.duration == pytest.approx(seconds, abs=tolerance)
    assert info.bytes == info.path.stat().st_size


FORMATS = [
    # name, extra ffmpeg output args, source codec, rate, channels
    ("u8.wav", ["-ar", "8000", "-ac", "1", "-c:a", "pcm_u8"], "pcm_u8", 8000, 1),
    ("s16.wav", ["-ar", "22050", "-ac", "2", "-c:a", "pcm_s16le"], "pcm_s16le", 22050, 2),
    ("s24.wav", ["-ar", "96000", "-ac", "2", "-c:a", "pcm_s24le"], "pcm_s24le", 96000, 2),
    ("f32.wav", ["-ar", "48000", "-ac", "1", "-c:a", "pcm_f32le"], "pcm_f32le", 48000, 1),
    ("s24.flac", ["-ar", "48000", "-ac", "2", "-sample_fmt", "s32", "-c:a", "flac"], "flac", 48000, 2),
    ("a.mp3", ["-ar", "44100", "-ac", "2", "-c:a", "libmp3lame"], "mp3", 44100, 2),
    ("surround.m4a", ["-ar", "48000", "-ac", "6", "-c:a", "aac"], "aac", 48000, 6),
    ("a.ogg", ["-ar", "32000", "-ac", "2", "-c:a", "libvorbis"], "vorbis", 32000, 2),
    ("a.opus", ["-ar", "48000", "-ac", "1", "-c:a", "libopus"], "opus", 48000, 1),
    ("a.webm", ["-ar", "48000", "-ac", "2", "-c:a", "libopus"], "opus", 48000, 2),
]


@pytest.mark.parametrize(("name", "args", "codec", "rate", "channels"), FORMATS, ids=[f[0] for f in FORMATS])
def test_every_format_becomes_16k_mono_s16_flac(make_media: MakeMedia, tmp_path: Path, name: str,
                                                args: list[str], codec: str, rate: int, channels: int) -> None:
    src = make_media(name, *sine_input(440, 3.0), *args)
    info = preprocess(src, tmp_path / "out" / "x.flac")
    assert_target_flac(info, 3.0)
    assert (info.source_codec, info.source_sample_rate, info.source_channels) == (codec, rate, channels)
    assert info.reencoded
    assert dominant_frequency(info.path) == pytest.approx(440, abs=3)


def test_video_container_uses_first_audio_track_only(make_media: MakeMedia, tmp_path: Path) -> None:
    src = make_media(
        "two_tracks.mkv", "-f", "lavfi", "-i", "testsrc=duration=2:size=64x48:rate=10",
        *sine_input(440, 2.0), *sine_input(1500, 2.0),
        "-map", "0:v", "-map", "1:a", "-map", "2:a", "-c:v", "libx264", "-c:a", "aac")
    info = preprocess(src, tmp_path / "x.flac")
    assert_target_flac(info, 2.0)
    assert dominant_frequency(info.path) == pytest.approx(440, abs=3)


def test_mp4_video_with_audio(make_media: MakeMedia, tmp_path: Path) -> None:
    src = make_media("clip.mp4", "-f", "lavfi", "-i", "testsrc=duration=2:size=64x48:rate=10",
                     *sine_input(660, 2.0), "-c:v", "libx264", "-c:a", "aac", "-shortest")
    info = preprocess(src, tmp_path / "x.flac")
    assert_target_flac(info, 2.0, tolerance=0.1)
    assert info.source_codec == "aac"


def test_command_maps_first_audio_track_and_forces_s16() -> None:
    cmd = build_command("ffmpeg", Path("in.mkv"), Path("out.flac"))
    joined = " ".join(cmd)
    assert "-map 0:a:0" in joined and "-sample_fmt s16" in joined
    assert "-ar 16000" in joined and "-ac 1" in joined and "-f flac" in joined


def test_target_flac_is_not_reencoded(tmp_path: Path) -> None:
    src = tmp_path / "ready.flac"
    sf.write(src, (np.sin(np.arange(32000) / 5) * 8000).astype(np.int16), 16000, subtype="PCM_16")
    same = preprocess(src)
    assert same.path == src and not same.reencoded and same.duration == 2.0
    copy = preprocess(src, tmp_path / "copy" / "c.flac")
    assert not copy.reencoded
    assert copy.path.read_bytes() == src.read_bytes()


def test_timestamp_jumps_are_not_taken_for_corruption(make_media: MakeMedia, tmp_path: Path,
                                                       speech: Path) -> None:
    # An Ogg/Vorbis file cut with -ss from an mp3 can carry timestamps the FLAC muxer calls
    # non-monotonic; the audio is whole and must not be refused as corrupt.
    reading = speech / "ljspeech_LJ001-0001_to_0032_continuous.opus"
    long_mp3 = make_media("long.mp3", "-i", str(reading), "-ar", "44100", "-c:a", "libmp3lame")
    cut = make_media("cut.ogg", "-ss", "133", "-t", "60", "-i", str(long_mp3), "-ar", "44100", "-c:a", "libvorbis")
    info = preprocess(cut, tmp_path / "x.flac")
    assert info.duration == pytest.approx(60, abs=0.1) and not info.decode_warnings


def test_output_uses_full_size_flac_frames(make_media: MakeMedia, tmp_path: Path) -> None:
    # Vorbis hands ffmpeg packets of a few hundred samples; the FLAC must still use 4096-sample
    # frames (STREAMINFO's max block size), or it comes out much larger and slow to decode.
    src = make_media("a.ogg", *sine_input(440, 5.0), "-c:a", "libvorbis")
    info = preprocess(src, tmp_path / "x.flac")
    header = info.path.read_bytes()[:16]
    assert header[:4] == b"fLaC"
    assert int.from_bytes(header[10:12], "big") == 4096


def test_lossy_input_is_not_widened_to_24_bit(make_media: MakeMedia, tmp_path: Path) -> None:
    src = make_media("a.m4a", *sine_input(440, 3.0), "-c:a", "aac")
    info = preprocess(src, tmp_path / "x.flac")
    assert sf.info(info.path).subtype == "PCM_16"


def test_without_dst_writes_a_temporary_file(make_media: MakeMedia) -> None:
    info = preprocess(make_media("a.wav", *sine_input(440, 1.0)))
    try:
        assert info.path.exists() and info.path.suffix == ".flac"
        assert_target_flac(info, 1.0)
    finally:
        info.path.unlink()


# --- in-memory inputs -------------------------------------------------------------------

def test_bytes_and_file_objects(make_media: MakeMedia, tmp_path: Path) -> None:
    src = make_media("a.mp3", *sine_input(440, 2.0), "-c:a", "libmp3lame")
    from_bytes = preprocess(src.read_bytes(), tmp_path / "b.flac")
    assert from_bytes.source == "<bytes>"
    assert_target_flac(from_bytes, 2.0)
    with open(src, "rb") as f:
        from_file = preprocess(f, tmp_path / "f.flac")
    assert from_file.source == str(src)
    assert_target_flac(from_file, 2.0)
    from_buffer = preprocess(io.BytesIO(src.read_bytes()), tmp_path / "m.flac", name="upload.mp3")
    assert from_buffer.source == "upload.mp3"


def test_mp4_with_index_at_the_end_from_bytes(make_media: MakeMedia, tmp_path: Path) -> None:
    # The moov atom after the data needs a seekable input: bytes are spooled to a file.
    src = make_media("late_moov.m4a", *sine_input(440, 2.0), "-c:a", "aac")
    assert_target_flac(preprocess(src.read_bytes(), tmp_path / "x.flac"), 2.0, tolerance=0.1)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int16", "int32", "float16"])
def test_numpy_arrays(tmp_path: Path, dtype: str) -> None:
    t = np.arange(22050 * 2) / 22050
    wave = np.sin(2 * np.pi * 440 * t) * 0.5
    array = (wave * 32000).astype(dtype) if dtype.startswith("int") else wave.astype(dtype)
    if dtype == "int32":
        array = array * 65536
    info = preprocess(array, tmp_path / "x.flac", sample_rate=22050)
    assert_target_flac(info, 2.0, tolerance=0.001)
    assert dominant_frequency(info.path) == pytest.approx(440, abs=3)


def test_numpy_stereo_both_layouts_and_tuple(tmp_path: Path) -> None:
    t = np.arange(48000) / 48000
    stereo = np.stack([np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 440 * t)], axis=1).astype(np.float32)
    frames_first = preprocess(stereo, tmp_path / "a.flac", sample_rate=48000)
    channels_first = preprocess((stereo.T.copy(), 48000), tmp_path / "b.flac")
    assert frames_first.duration == channels_first.duration == 1.0
    a, _ = sf.read(frames_first.path, dtype="int16")
    b, _ = sf.read(channels_first.path, dtype="int16")
    assert np.array_equal(a, b)


def test_pydub_segment_without_ffprobe(tmp_path: Path) -> None:
    from pydub import AudioSegment

    samples = (np.sin(2 * np.pi * 440 * np.arange(44100) / 44100) * 20000).astype(np.int16)
    stereo = np.repeat(samples[:, None], 2, axis=1)
    segment = AudioSegment(data=stereo.tobytes(), sample_width=2, frame_rate=44100, channels=2)
    info = preprocess(segment, tmp_path / "x.flac")
    assert info.source == "<AudioSegment>"
    assert_target_flac(info, 1.0, tolerance=0.001)


def test_in_memory_misuse(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="sample_rate"):
        preprocess(np.zeros(100, dtype=np.float32))
    with pytest.raises(TypeError, match="cannot read audio"):
        preprocess(12345)  # type: ignore[arg-type]
    with pytest.raises(stt.EmptyAudioError, match="<array>"):
        preprocess(np.zeros(0, dtype=np.float32), tmp_path / "x.flac", sample_rate=16000)


# --- bad input ----------------------------------------------------------------------------

def _png_bytes() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def _corrupt_middle(path: Path) -> Path:
    data = bytearray(path.read_bytes())
    rng = random.Random(1)
    for i in range(len(data) // 3, len(data) // 3 + 4000):
        data[i] = rng.randrange(256)
    out = path.with_name("corrupt_" + path.name)
    out.write_bytes(bytes(data))
    return out


def _truncate(path: Path, keep: float) -> Path:
    out = path.with_name("truncated_" + path.name)
    out.write_bytes(path.read_bytes()[: int(path.stat().st_size * keep)])
    return out


def _bad_inputs(tmp: Path, make_media: MakeMedia) -> dict[str, tuple[Path, type[stt.AudioError]]]:
    (tmp / "empty.wav").write_bytes(b"")
    (tmp / "notes.mp3").write_text("these are meeting notes, not audio\n" * 20)
    (tmp / "picture.mp3").write_bytes(_png_bytes())
    sf.write(tmp / "zero.wav", np.zeros(0, dtype=np.int16), 16000)
    long_mp3 = make_media("long.mp3", *sine_input(440, 20.0), "-c:a", "libmp3lame")
    flac = make_media("long.flac", *sine_input(440, 20.0), "-c:a", "flac")
    m4a = make_media("long.m4a", *sine_input(440, 20.0), "-c:a", "aac")
    silent_video = make_media("silent.mp4", "-f", "lavfi", "-i", "testsrc=duration=1:size=64x48:rate=10",
                              "-c:v", "libx264")
    return {
        "missing": (tmp / "nope.mp3", stt.AudioFileNotFound),
        "folder": (tmp, stt.AudioFileNotFound),
        "empty": (tmp / "empty.wav", stt.EmptyAudioFile),
        "text": (tmp / "notes.mp3", stt.NotAudioError),
        "png": (tmp / "picture.mp3", stt.NotAudioError),
        "no_audio_track": (silent_video, stt.NoAudioStream),
        "zero_length": (tmp / "zero.wav", stt.EmptyAudioError),
        "truncated_mp3": (_truncate(long_mp3, 0.4), stt.TruncatedAudioError),
        "truncated_flac": (_truncate(flac, 0.5), stt.TruncatedAudioError),
        "truncated_m4a": (_truncate(m4a, 0.5), stt.TruncatedAudioError),
        "corrupt_flac": (_corrupt_middle(flac), stt.CorruptAudioError),
    }


BAD = ["missing", "folder", "empty", "text", "png", "no_audio_track", "zero_length", "truncated_mp3",
       "truncated_flac", "truncated_m4a", "corrupt_flac"]


@pytest.mark.parametrize("kind", BAD)
def test_bad_input_raises_its_own_error_and_leaves_nothing(tmp_path: Path, make_media: MakeMedia, kind: str) -> None:
    src, expected = _bad_inputs(tmp_path, make_media)[kind]
    out_dir = tmp_path / "out"
    with pytest.raises(expected) as caught:
        preprocess(src, out_dir / "x.flac")
    assert type(caught.value) is expected
    assert isinstance(caught.value, stt.SttError)
    assert str(src) in str(caught.value) and caught.value.reason
    assert not out_dir.exists() or list(out_dir.iterdir()) == []


def test_failure_keeps_an_existing_output_intact(tmp_path: Path) -> None:
    dst = tmp_path / "x.flac"
    dst.write_bytes(b"previous result")
    (tmp_path / "notes.mp3").write_text("not audio")
    with pytest.raises(stt.NotAudioError):
        preprocess(tmp_path / "notes.mp3", dst)
    assert dst.read_bytes() == b"previous result"


def test_lenient_mode_keeps_a_damaged_decode(tmp_path: Path, make_media: MakeMedia) -> None:
    flac = make_media("long.flac", *sine_input(440, 20.0), "-c:a", "flac")
    info = preprocess(_corrupt_middle(flac), tmp_path / "x.flac", strict=False)
    assert info.decode_warnings
    assert info.duration == pytest.approx(20.0, abs=1.0)
    truncated = preprocess(_truncate(flac, 0.5), tmp_path / "y.flac", strict=False)
    assert any("truncated" in w for w in truncated.decode_warnings)


# --- real speech ------------------------------------------------------------------------

def test_real_speech_of_every_format_in_the_test_data(speech: Path, tmp_path: Path) -> None:
    files = sorted(p for p in speech.iterdir() if p.suffix in {".wav", ".flac", ".mp3", ".opus"})
    assert len(files) >= 10 and {p.suffix for p in files} == {".flac", ".mp3", ".opus"}
    for src in files:
        info = preprocess(src, tmp_path / (src.stem + ".flac"))
        assert sf.info(info.path).samplerate == 16000
        if src.suffix in {".wav", ".flac"}:
            assert info.duration == pytest.approx(sf.info(src).duration, abs=0.01), src.name
        data, _ = sf.read(info.path, dtype="float32")
        assert np.sqrt(np.mean(data ** 2)) > 0.005, f"{src.name} came out silent"


# --- the same results with another ffmpeg build ---------------------------------------------

SECOND_FFMPEG = os.environ.get(FFMPEG_ENV)


@pytest.mark.skipif(not SECOND_FFMPEG, reason=f"no second ffmpeg chosen (CI sets {FFMPEG_ENV} to Debian's)")
def test_another_ffmpeg_build_gives_the_same_errors_and_outputs(tmp_path: Path, make_media: MakeMedia,
                                                               speech: Path) -> None:
    builds = (bundled_ffmpeg(), SECOND_FFMPEG)
    assert ffmpeg_binary() == ffmpeg_binary(SECOND_FFMPEG) != bundled_ffmpeg(), "the chosen build is the one run"

    def outcome(src: Path, binary: str | None) -> tuple[str, str]:
        try:
            preprocess(src, tmp_path / "out" / "x.flac", ffmpeg=binary)
        except stt.SttError as exc:
            return type(exc).__name__, str(exc)
        return "no error", ""

    for kind, (src, _) in _bad_inputs(tmp_path, make_media).items():
        assert outcome(src, builds[0]) == outcome(src, builds[1]), kind
    good = [speech / "jfk_inaugural_1961_excerpt.flac", speech / "mls_es_13697_11991_000000.opus",
            speech / "common_voice_ja_24511055.mp3"]
    for codec, name in [("libmp3lame", "a.mp3"), ("aac", "a.m4a"), ("libvorbis", "a.ogg"), ("pcm_s24le", "a.wav")]:
        good.append(make_media(name, "-i", str(good[0]), "-ar", "44100", "-ac", "2", "-c:a", codec))
    for src in good:
        infos = [preprocess(src, tmp_path / f"{i}.flac", ffmpeg=b) for i, b in enumerate(builds)]
        described = {(i.source_codec, i.source_sample_rate, i.source_channels, i.decode_warnings) for i in infos}
        assert len(described) == 1, src.name
        assert abs(infos[0].frames - infos[1].frames) <= 0.01 * SAMPLE_RATE, src.name  # AAC priming: 100 samples
        assert {int.from_bytes(i.path.read_bytes()[10:12], "big") for i in infos} == {4096}, src.name


# --- a name is a file name, read literally -------------------------------------------------

class Listener:
    """A TCP port on 127.0.0.1 that counts the connections made to it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    port = Listener()
    yield port
    port.close()


def test_names_that_look_like_urls_are_read_as_files(tmp_path: Path, make_media: MakeMedia, listener: Listener,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    tone = make_media("tone.mp3", *sine_input(440, 2.0), "-c:a", "libmp3lame")
    monkeypatch.chdir(tmp_path)
    for name in (f"http:127.0.0.1:{listener.port}.mp3", f"tcp:127.0.0.1:{listener.port}.mp3", "ep1:intro.mp3",
                 f"udp:127.0.0.1:{listener.port}.mp3", "pipe:0.mp3"):
        Path(name).write_bytes(tone.read_bytes())
        info = preprocess(name, Path(f"out:{listener.port}") / f"{name}.flac")
        assert info.duration == pytest.approx(2.0, abs=0.06), name
        assert info.path.exists() and info.path.parent.name == f"out:{listener.port}"
    assert listener.connections == 0, "no name reached the network"


def test_a_folder_named_like_a_protocol_cannot_point_outside(tmp_path: Path, make_media: MakeMedia,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    # ./concat:/<abs>/outside.mp3 is a file inside the folder; as a URL it names /<abs>/outside.mp3.
    outside = make_media("outside.mp3", *sine_input(880, 3.0), "-c:a", "libmp3lame")
    root = tmp_path / "root"
    inside = root / f"concat:{outside}"
    inside.parent.mkdir(parents=True)
    inside.write_bytes(make_media("inside.mp3", *sine_input(440, 1.5), "-c:a", "libmp3lame").read_bytes())
    monkeypatch.chdir(root)
    [item] = find_media_files(["."])
    info = preprocess(item.path, tmp_path / "x.flac")
    assert info.duration == pytest.approx(1.5, abs=0.06), "the file inside the folder was read"


def test_content_cannot_make_ffmpeg_open_other_files(tmp_path: Path, make_media: MakeMedia) -> None:
    # An HLS playlist or an ffconcat list names other files; ffmpeg reads neither as one.
    target = make_media("secret.mp3", *sine_input(440, 2.0), "-c:a", "libmp3lame")
    playlist = tmp_path / "episode.mp3"
    playlist.write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile:{target}\n#EXT-X-ENDLIST\n")
    listing = tmp_path / "episode.m4a"
    listing.write_text(f"ffconcat version 1.0\nfile '{target}'\n")
    for src in (playlist, listing):
        with pytest.raises(stt.NotAudioError):
            preprocess(src, tmp_path / "x.flac")


def test_a_flac_file_cut_short_is_told_from_one_damaged_inside(tmp_path: Path, make_media: MakeMedia) -> None:
    from stt_toolkit.audio.file_end import ends_whole

    for made in (make_media("a.flac", *sine_input(440, 20.0), "-c:a", "flac"), tmp_path / "b.flac"):
        if not made.exists():
            sf.write(made, (np.random.default_rng(3).standard_normal(16000 * 12) * 3000).astype(np.int16), 16000)
        assert ends_whole(made) is True
        assert ends_whole(_truncate(made, 0.5)) is False
        assert ends_whole(_corrupt_middle(made)) is True, "damage inside leaves the end whole"
    wav = make_media("c.wav", *sine_input(440, 4.0))
    assert ends_whole(wav) is True and ends_whole(_truncate(wav, 0.5)) is False
    assert ends_whole(make_media("d.mp3", *sine_input(440, 1.0), "-c:a", "libmp3lame")) is None
    with pytest.raises(stt.TruncatedAudioError):
        preprocess(_truncate(wav, 0.5), tmp_path / "x.flac")
