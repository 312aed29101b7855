"""660 ``map`` (map body): word counts of one chunk."""


def handler(payload: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for word in payload.split():
        counts[word] = counts.get(word, 0) + 1
    return counts
