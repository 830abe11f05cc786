from tracker.services.caching import StampedCache


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_a_result_is_reused_within_its_time_to_live_and_recomputed_after():
    clock, calls = Clock(), []
    cache = StampedCache(entries=4, clock=clock)
    compute = lambda: calls.append(1) or len(calls)  # noqa: E731
    assert cache.get_or_compute(("k", 1), 10, compute) == 1
    clock.now = 9.9
    assert cache.get_or_compute(("k", 1), 10, compute) == 1
    clock.now = 10.0
    assert cache.get_or_compute(("k", 1), 10, compute) == 2
    assert cache.get_or_compute(("k", 2), 10, compute) == 3  # a new stamp is a new key


def test_the_least_recently_used_entry_goes_first():
    cache = StampedCache(entries=2, clock=Clock())
    cache.get_or_compute("a", 60, lambda: "A")
    cache.get_or_compute("b", 60, lambda: "B")
    cache.get_or_compute("a", 60, lambda: "stale")  # touches "a"
    cache.get_or_compute("c", 60, lambda: "C")      # evicts "b"
    assert cache.get_or_compute("a", 60, lambda: "new") == "A"
    assert cache.get_or_compute("b", 60, lambda: "B2") == "B2"
    cache.clear()
    assert cache.get_or_compute("a", 60, lambda: "after clear") == "after clear"
