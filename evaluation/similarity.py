"""Near-duplicate detection between essays: character n-gram shingles and Jaccard similarity.

Chinese has no spaces, so words are not a usable unit; overlapping 5-character shingles of the
text with punctuation and whitespace removed catch copied sentences even when a few characters
were changed around them. The overlapping passages are the maximal runs of shared shingles.

Bounded whatever is stored: only the first SCAN_CHARS characters of an essay are compared (the
database hands over no more, see services.reflection_similarity_refresh), so one oversized text
costs a classmate's submission no more than an essay of that length.
"""

import re

SHINGLE = 5
THRESHOLD = 0.4  # Jaccard at or above this flags a pair: half the text shared
MIN_PASSAGE = 12  # characters; shorter shared runs are common phrases, not copying
SCAN_CHARS = 12000  # characters of each essay compared (a long essay is ~3000)
PASSAGE_MAX = 300  # characters of one overlapping passage kept for the reviewer

_NOISE = re.compile(r"[\s\u3000-\u303f\uff00-\uffef,.;:!?\"'()\[\]<>—…·、-]+")
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def chinese_length(text: str) -> int:
    """Number of Chinese characters (the unit of 字数 in a writing task)."""
    return len(CHINESE.findall(text or ""))


def normalize(text: str) -> str:
    """The text without punctuation and spaces, from its first SCAN_CHARS characters only."""
    return _NOISE.sub("", (text or "")[:SCAN_CHARS])


def shingles(text: str, k: int = SHINGLE) -> set[str]:
    t = normalize(text)
    return {t[i : i + k] for i in range(max(0, len(t) - k + 1))}


def jaccard(a: set, b: set) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def shared_passages(text: str, other_shingles: set[str], k: int = SHINGLE) -> list[str]:
    """Runs of `text` (normalized) covered by shingles that also occur in the other essay."""
    t = normalize(text)
    covered = [False] * len(t)
    for i in range(max(0, len(t) - k + 1)):
        if t[i : i + k] in other_shingles:
            for j in range(i, i + k):
                covered[j] = True
    passages, start = [], None
    for i, c in enumerate([*covered, False]):
        if c and start is None:
            start = i
        elif not c and start is not None:
            if i - start >= MIN_PASSAGE:
                passages.append(t[start:i][:PASSAGE_MAX])
            start = None
    return passages


def compare(text_a: str, text_b: str) -> tuple[float, list[str]]:
    """(Jaccard similarity, overlapping passages as they read in text_a)."""
    sa, sb = shingles(text_a), shingles(text_b)
    score = jaccard(sa, sb)
    return score, shared_passages(text_a, sb) if score >= THRESHOLD else []
