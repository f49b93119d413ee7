"""Build the bundled corpora in ``data/`` from their Debian / PyPI sources.

Run once by maintainers (the Parquet files are committed)::

    apt-get install -y wordnet-base fortunes fortunes-min sword-text-kjv sword-text-web
    python data/build_data.py            # writes data/*.parquet

Every output is deterministic: the same sources give byte-identical tables.
Sources and licences are listed in ``data/LICENSES.md``.
"""

from __future__ import annotations

import argparse
import html
import re
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

DATA_DIR = Path(__file__).resolve().parent
WORDNET_DIR = Path("/usr/share/wordnet")
FORTUNES_DIR = Path("/usr/share/games/fortunes")
SWORD_DIR = Path("/usr/share/sword/modules/texts/ztext")

# The 45 WordNet lexicographer files, indexed by ``lex_filenum`` (WordNet 3.0 ``lexnames``).
LEXNAMES = (
    "adj.all adj.pert adv.all noun.Tops noun.act noun.animal noun.artifact noun.attribute "
    "noun.body noun.cognition noun.communication noun.event noun.feeling noun.food noun.group "
    "noun.location noun.motive noun.object noun.person noun.phenomenon noun.plant "
    "noun.possession noun.process noun.quantity noun.relation noun.shape noun.state "
    "noun.substance noun.time verb.body verb.change verb.cognition verb.communication "
    "verb.competition verb.consumption verb.contact verb.creation verb.emotion verb.motion "
    "verb.perception verb.possession verb.social verb.stative verb.weather adj.ppl"
).split()


# --------------------------------------------------------------------------- WordNet
def _parse_wordnet_line(line: str) -> dict:
    head, gloss = line.split(" | ", 1)
    fields = head.split()
    offset, lex_filenum, ss_type, w_cnt = fields[0], int(fields[1]), fields[2], int(fields[3], 16)
    words = [fields[4 + 2 * i].replace("_", " ") for i in range(w_cnt)]
    return {
        "id": f"{ss_type}{offset}",
        "text": gloss.strip(),
        "label": LEXNAMES[lex_filenum],
        "pos": {"n": "noun", "v": "verb", "a": "adj", "s": "adj", "r": "adv"}[ss_type],
        "headwords": ", ".join(words),
    }


def build_wordnet() -> pd.DataFrame:
    rows = []
    for pos in ("noun", "verb", "adj", "adv"):
        with open(WORDNET_DIR / f"data.{pos}", encoding="latin-1") as fh:
            rows += [_parse_wordnet_line(line) for line in fh if not line.startswith("  ")]
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- fortunes
def build_fortunes() -> pd.DataFrame:
    rows = []
    for path in sorted(p for p in FORTUNES_DIR.iterdir() if p.is_file() and "." not in p.name):
        raw = path.read_bytes()
        try:
            content = raw.decode("utf-8")
        except UnicodeDecodeError:
            content = raw.decode("latin-1")
        items = [t.strip("\n") for t in re.split(r"^%\s*$", content, flags=re.M)]
        for i, item in enumerate(t for t in items if t.strip()):
            rows.append({"id": f"{path.name}:{i}", "text": item, "label": path.name})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- Bible (SWORD)
_NOTE = re.compile(r"<note\b.*?</note>", re.S)
_TITLE = re.compile(r"<title\b.*?</title>", re.S)
_TAG = re.compile(r"<[^>]+>")
_CHAPTER = re.compile(r'<chapter\b[^>]*\bosisID="([^"]+)\.(\d+)"[^>]*\bsID=')


def _read_ztext(module: str, testament: str) -> list[str]:
    """Decode every entry of a SWORD zText testament, in index order."""
    base = SWORD_DIR / module
    bzs = (base / f"{testament}.bzs").read_bytes()
    bzv = (base / f"{testament}.bzv").read_bytes()
    bzz = (base / f"{testament}.bzz").read_bytes()
    blocks = [struct.unpack_from("<III", bzs, i) for i in range(0, len(bzs), 12)]
    decoded: dict[int, bytes] = {}
    entries = []
    for i in range(0, len(bzv), 10):
        block, start, size = struct.unpack_from("<IIH", bzv, i)
        if size == 0:
            entries.append("")
            continue
        if block not in decoded:
            off, csize, _ = blocks[block]
            decoded[block] = zlib.decompress(bzz[off : off + csize])
        entries.append(decoded[block][start : start + size].decode("utf-8"))
    return entries


def _clean_osis(entry: str) -> str:
    """Verse text without markup, notes, titles or the back matter after a chapter's end."""
    entry = entry.split("<chapter eID=")[0]
    text = _TAG.sub("", _TITLE.sub(" ", _NOTE.sub(" ", entry)))
    text = html.unescape(text).replace("¶", " ")
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r"\s+([,.;:!?’”])", r"\1", text)


def _verses_by_chapter(entries: list[str]) -> dict[tuple[str, int], list[str]]:
    """Map (book, chapter) -> verse texts, using the SWORD index layout.

    Each chapter has a heading entry holding ``<chapter osisID="Book.N" sID=...>``, followed by
    its verses; a book's heading entry sits just before its first chapter heading.
    """
    marks = [(i, m.group(1), int(m.group(2))) for i, e in enumerate(entries)
             if (m := _CHAPTER.search(e))]
    chapters = {}
    for j, (pos, book, chap) in enumerate(marks):
        end = marks[j + 1][0] if j + 1 < len(marks) else len(entries)
        if j + 1 < len(marks) and marks[j + 1][1] != book:
            end -= 1  # the next book's heading entry
        chapters[(book, chap)] = [_clean_osis(e) for e in entries[pos + 1 : end]]
    return chapters


def build_bible() -> pd.DataFrame:
    """KJV (1769) and WEB (2020) verses aligned by reference, in long format."""
    versions = {"KJV": ("engKJV2006eb", 1769), "WEB": ("engWEB2015eb", 2020)}
    chapters = {
        name: {**_verses_by_chapter(_read_ztext(mod, "ot")),
               **_verses_by_chapter(_read_ztext(mod, "nt"))}
        for name, (mod, _) in versions.items()
    }
    kjv, web = chapters["KJV"], chapters["WEB"]
    book_order = list(dict.fromkeys(book for book, _ in kjv))
    rows = []
    for (book, chap), kjv_verses in kjv.items():
        web_verses = web.get((book, chap))
        if web_verses is None or len(web_verses) != len(kjv_verses):
            continue  # versification differs in this chapter: no safe alignment
        testament = "OT" if book_order.index(book) < 39 else "NT"
        for v, pair in enumerate(zip(kjv_verses, web_verses), start=1):
            if not all(pair):
                continue  # a verse one edition omits
            ref = f"{book}.{chap}.{v}"
            for (name, (_, year)), text in zip(versions.items(), pair):
                rows.append({"id": f"{name}:{ref}", "text": text, "label": book,
                             "group": name, "time": year, "verse": ref,
                             "testament": testament})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- Lee
def _gensim_wheel(workdir: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q",
                    "gensim==4.4.0", "-d", str(workdir)], check=True)
    return next(workdir.glob("gensim-*.whl"))


def build_lee() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Lee et al. (2005) news corpus, its background documents and human similarities."""
    with tempfile.TemporaryDirectory() as tmp:
        wheel = zipfile.ZipFile(_gensim_wheel(Path(tmp)))
        read = lambda name: wheel.read(f"gensim/test/test_data/{name}").decode("latin-1")
        docs = [line.strip() for line in read("lee.cor").splitlines() if line.strip()]
        background = [line.strip() for line in read("lee_background.cor").splitlines()
                      if line.strip()]
        upper = np.array([[float(x) for x in line.split()]
                          for line in read("similarities0-1.txt").splitlines() if line.strip()])
    sim = np.triu(upper) + np.triu(upper, 1).T
    lee = pd.DataFrame({"id": [f"lee:{i}" for i in range(len(docs))], "text": docs})
    bg = pd.DataFrame({"id": [f"lee_bg:{i}" for i in range(len(background))],
                       "text": background})
    sim_df = pd.DataFrame(sim, columns=[f"lee:{i}" for i in range(len(docs))])
    return lee, bg, sim_df


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DATA_DIR)
    args = parser.parse_args(argv)
    write = lambda df, name: df.to_parquet(args.out / f"{name}.parquet", index=False,
                                          compression="zstd")
    write(build_wordnet(), "wordnet")
    write(build_fortunes(), "fortunes")
    write(build_bible(), "bible")
    lee, bg, sim = build_lee()
    write(lee, "lee")
    write(bg, "lee_background")
    write(sim, "lee_similarity")
    for path in sorted(args.out.glob("*.parquet")):
        print(f"{path.name:24s} {len(pd.read_parquet(path)):>7d} rows  "
              f"{path.stat().st_size / 1e6:6.2f} MB")


if __name__ == "__main__":
    main()
