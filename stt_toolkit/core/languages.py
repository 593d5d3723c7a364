"""Whisper's languages: ISO-639-1 codes and the English names servers sometimes return."""

from __future__ import annotations

_CODES = (
    "en english|zh chinese|de german|es spanish|ru russian|ko korean|fr french|ja japanese|"
    "pt portuguese|tr turkish|pl polish|ca catalan|nl dutch|ar arabic|sv swedish|it italian|"
    "id indonesian|hi hindi|fi finnish|vi vietnamese|he hebrew|uk ukrainian|el greek|ms malay|"
    "cs czech|ro romanian|da danish|hu hungarian|ta tamil|no norwegian|th thai|ur urdu|"
    "hr croatian|bg bulgarian|lt lithuanian|la latin|mi maori|ml malayalam|cy welsh|sk slovak|"
    "te telugu|fa persian|lv latvian|bn bengali|sr serbian|az azerbaijani|sl slovenian|"
    "kn kannada|et estonian|mk macedonian|br breton|eu basque|is icelandic|hy armenian|"
    "ne nepali|mn mongolian|bs bosnian|kk kazakh|sq albanian|sw swahili|gl galician|"
    "mr marathi|pa punjabi|si sinhala|km khmer|sn shona|yo yoruba|so somali|af afrikaans|"
    "oc occitan|ka georgian|be belarusian|tg tajik|sd sindhi|gu gujarati|am amharic|"
    "yi yiddish|lo lao|uz uzbek|fo faroese|ht haitian creole|ps pashto|tk turkmen|nn nynorsk|"
    "mt maltese|sa sanskrit|lb luxembourgish|my myanmar|bo tibetan|tl tagalog|mg malagasy|"
    "as assamese|tt tatar|haw hawaiian|ln lingala|ha hausa|ba bashkir|jw javanese|su sundanese|"
    "yue cantonese"
)
#: ISO-639-1 (or Whisper's own) code -> English name.
LANGUAGES: dict[str, str] = dict(item.split(" ", 1) for item in _CODES.split("|"))
_ALIASES = {
    "burmese": "my", "valencian": "ca", "flemish": "nl", "haitian": "ht", "letzeburgesch": "lb",
    "pushto": "ps", "panjabi": "pa", "moldavian": "ro", "moldovan": "ro", "sinhalese": "si",
    "castilian": "es", "mandarin": "zh",
}
_BY_NAME = {name: code for code, name in LANGUAGES.items()} | _ALIASES


def language_code(value: str | None) -> str | None:
    """Normalise a language given as a code (``"en"``) or a name (``"English"``) to its code.

    Unknown values are returned lower-cased rather than dropped; ``None`` stays ``None``.
    """
    if not value:
        return None
    key = value.strip().lower().replace("_", "-")
    if key in LANGUAGES:
        return key
    if key in _BY_NAME:
        return _BY_NAME[key]
    base = key.split("-")[0]
    return base if base in LANGUAGES else key
