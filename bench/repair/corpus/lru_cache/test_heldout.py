from lru_cache import LRUCache


def test_put_refreshes():
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("a", 10)
    cache.put("c", 3)
    assert cache.get("a") == 10 and cache.get("b") is None


def test_repeated_reads_keep_entry():
    cache = LRUCache(3)
    for k in "abc":
        cache.put(k, k)
    for k in "defg":
        cache.get("a")
        cache.put(k, k)
    assert cache.get("a") == "a"
