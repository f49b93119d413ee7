"""Progress listeners see the package's own bars (the app's progress indicator relies on this)."""

import pytest

from embviz._progress import progress_bar, report_progress


def test_listener_sees_bars_even_when_disabled():
    seen = []
    with report_progress(lambda desc, n, total: seen.append((desc, n, total))):
        for _ in progress_bar(range(5), desc="loop", disable=True):
            pass
        bar = progress_bar(total=10, desc="manual", disable=True)
        bar.update(4)
        bar.update(6)
        bar.close()
    assert seen[0] == ("loop", 0, 5) and ("loop", 5, 5) in seen
    assert ("manual", 10, 10) in seen


def test_no_listener_outside_the_block():
    seen = []
    with report_progress(lambda *a: seen.append(a)):
        pass
    for _ in progress_bar(range(3), disable=True):
        pass
    assert seen == []


def test_listener_sees_knn_progress(rng):
    from embviz.neighbors import knn_graph

    seen = []
    with report_progress(lambda desc, n, total: seen.append((desc, n, total))):
        knn_graph(rng.normal(size=(300, 8)), k=5, progress=False)
    assert any(desc.startswith("kNN") and n == total for desc, n, total in seen)


def test_a_bar_left_open_by_a_stopped_job_closes_quietly():
    """A listener that stops its job (the explorer's, when the page closed) raises from the
    bar's update; the bar left open is closed later by tqdm's ``__del__``, which must not call
    the listener into a second exception (it printed a ``JobCancelled`` traceback into the
    server's log, counted there as an error)."""
    import gc
    import sys

    class Stop(Exception):
        pass

    stopping = []

    def listener(desc, n, total):
        if stopping:
            raise Stop(desc)

    unraisable = []
    hook, sys.unraisablehook = sys.unraisablehook, unraisable.append
    try:
        with report_progress(listener):
            bar = progress_bar(total=10, desc="job", disable=True)
            bar.update(1)
            stopping.append(True)
            with pytest.raises(Stop):
                bar.update(1)
        del bar
        gc.collect()
    finally:
        sys.unraisablehook = hook
    assert not unraisable, [str(u.exc_value) for u in unraisable]
