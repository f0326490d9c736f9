"""The reference server under load and faults (bounded: localhost, a few clients, a few seconds; longer runs:
benchmarks/bench_soak.py)."""

from .soak import crash, soak


def test_concurrent_reads_and_writes_lose_nothing_and_never_answer_5xx(tmp_path):
    result = soak(tmp_path, clients=8, seconds=3.0, min_requests=100, min_posts=10)
    t = result.tally
    assert t.server_errors == [] and t.errors == [], result.summary()
    assert result.requests > 100 and len(t.posted) > 10, result.summary()
    assert result.verdict.lost == [] and result.verdict.duplicated == [] and result.verdict.stale == [], result.summary()


def test_kill_9_mid_writes_and_jobs_keeps_the_store_consistent_and_jobs_end_cleanly(tmp_path):
    result = crash(tmp_path, clients=6, before_kill=1.0, jobs=4)
    assert len(result.tally.posted) > 5
    assert result.verdict.lost == [] and result.verdict.duplicated == [], result.verdict
    assert result.jobs and all(not end.startswith("UNCLEAN") for end in result.jobs.values()), result.jobs
