"""Progress listeners see the package's own bars (the app's progress indicator relies on this)."""


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
