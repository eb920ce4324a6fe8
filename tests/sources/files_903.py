"""SSDA903 CSV tables written by hand for the reader's tests: the header lines of the tables
they use most and a writer of one file.

The header lines are written out, not taken from the reader's declaration
(``sources/codesets/ssda903.yaml``), so the tests check that declaration against the DfE's
column names rather than against itself."""

from __future__ import annotations

from pathlib import Path

HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB"
EPISODES = (
    "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN"
)
MISSING = "CHILD,DOB,MISSING,MIS_START,MIS_END"


def write(folder: Path, name: str, *lines: str, encoding: str = "utf-8") -> Path:
    """``folder/name`` holding ``lines``, one a line, in ``encoding``; the folder made if new."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path
