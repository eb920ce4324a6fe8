"""Turning the bytes of a council's text file into text: one decoding path for every reader.

Councils' files come in whatever their case system or Excel wrote: UTF-8 with or without a
byte-order mark, UTF-16 (Excel's "Unicode text", either byte order, normally with a mark) or
Windows-1252 (Excel's "CSV" on Windows), with CR, LF or CRLF line ends. The SSD tables, the
population file, the SSDA903 CSVs, the recognisers of every reader and the YAML files all
decode through :func:`decode_bytes`, so a file that one reader can read, every reader can.
"""

from __future__ import annotations

from cscperf.errors import InputError

UTF8_BOM = b"\xef\xbb\xbf"
UTF16_LE_BOM = b"\xff\xfe"
UTF16_BE_BOM = b"\xfe\xff"
UTF16_BOMS = (UTF16_LE_BOM, UTF16_BE_BOM)
# Bytes looked at to tell BOM-less UTF-16 from other text (cheap: the first 4 KB).
_SNIFF_BYTES = 4096
# Share of NUL bytes at every other position that marks BOM-less UTF-16 (mostly ASCII text).
_UTF16_NUL_SHARE = 0.4


def utf16_without_bom(raw: bytes) -> str | None:
    """ "utf-16-le" or "utf-16-be" when BOM-less bytes are UTF-16 (of mostly Latin text, where
    every other byte is NUL); None otherwise."""
    sample = raw[:_SNIFF_BYTES]
    if len(sample) < 4 or b"\x00" not in sample:
        return None
    even, odd = sample[0::2], sample[1::2]
    even_nul = even.count(0) / len(even)
    odd_nul = odd.count(0) / len(odd)
    if odd_nul >= _UTF16_NUL_SHARE and even_nul < 0.05:
        return "utf-16-le"
    if even_nul >= _UTF16_NUL_SHARE and odd_nul < 0.05:
        return "utf-16-be"
    return None


def decode_bytes(raw: bytes, file: str | None = None, *, partial: bool = False) -> tuple[str, str]:
    """The text of a file and the encoding it was read with.

    The order: a byte-order mark (UTF-8 or UTF-16) decides; NUL bytes at every other position
    mean BOM-less UTF-16; then UTF-8; bytes that are not UTF-8 are read as Windows-1252.
    The encoding returned is one of "utf-8", "utf-8-sig", "utf-16-le", "utf-16-be", "cp1252".

    ``partial`` is for the first bytes of a file (recognising it): a character cut off at the
    end is dropped instead of being an error. A whole file that claims UTF-16 but does not
    decode as it (an odd number of bytes, a broken pair) raises :class:`InputError` naming
    ``file``: it was cut short or damaged, and reading it some other way would give garbage.
    """
    if raw.startswith(UTF8_BOM):
        body = raw[len(UTF8_BOM) :]
        try:
            return body.decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            if partial:
                return body.decode("utf-8", errors="ignore"), "utf-8-sig"
            return body.decode("cp1252", errors="replace"), "cp1252"
    if raw.startswith(UTF16_BOMS):
        codec = "utf-16-le" if raw.startswith(UTF16_LE_BOM) else "utf-16-be"
        return _utf16(raw[2:], codec, file, partial), codec
    codec16 = utf16_without_bom(raw)
    if codec16 is not None:
        return _utf16(raw, codec16, file, partial), codec16
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        if partial and exc.start >= len(raw) - 3:
            # Only the last character was cut off by taking the first bytes: still UTF-8.
            try:
                return raw[: exc.start].decode("utf-8"), "utf-8"
            except UnicodeDecodeError:
                pass
        return raw.decode("cp1252", errors="replace"), "cp1252"


def _utf16(body: bytes, codec: str, file: str | None, partial: bool) -> str:
    try:
        return body.decode(codec)
    except UnicodeDecodeError as exc:
        if partial:
            return body.decode(codec, errors="ignore")
        raise InputError(
            f"the file is marked as UTF-16 text but byte {exc.start + 1} cannot be read as "
            "UTF-16: it is cut short or damaged; export it again",
            file=file,
        ) from exc


def normalise_newlines(text: str) -> str:
    """CRLF and CR-only (old Mac, some exports) line ends as LF."""
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")
