"""One capture path: a test shows the exchanges it made, those of the fixtures it requests and those its memoised
answers were made with — never another test's, and nothing for a test skipped before its fixtures."""

from ra_conformance.fhir.client import Exchange
from ra_conformance.harness.capture import Capture, Memo


def exchange(n: int) -> Exchange:
    return Exchange(id=n, method="GET", url=f"http://t/{n}", request_headers={}, request_body=None, status=200)


def ids(found: list[dict]) -> list[int]:
    return [x["id"] for x in found]


def test_a_fixture_s_exchanges_reach_every_test_requesting_it():
    capture = Capture()
    capture.begin_test()  # the first test sets the module fixture up
    with capture.frame() as frame:
        capture.listen(exchange(1))
    capture.fixture_done("export", frame)
    capture.listen(exchange(2))  # the first test's own request
    assert ids(capture.test_exchanges(["ra", "export"])) == [1, 2]
    capture.end_test()
    capture.begin_test()  # a later test reuses the fixture's value: its exchanges come along, not test 1's own
    capture.listen(exchange(3))
    assert ids(capture.test_exchanges(["export"])) == [1, 3]
    assert ids(capture.test_exchanges([])) == [3]  # the fixture not requested: nothing of it
    capture.end_test()


def test_a_memoised_answer_carries_its_exchanges_to_every_reader():
    capture = Capture()
    memo = Memo(capture)
    made = []

    def ask() -> str:
        made.append(1)
        capture.listen(exchange(7))
        return "answer"

    memo.get(("GET", "metadata"), ask)  # asked outside any test (the plan): no test shows it
    capture.begin_test()
    assert memo.get(("GET", "metadata"), ask) == "answer"
    assert ids(capture.test_exchanges([])) == [7]
    capture.end_test()
    assert made == [1]  # asked once per run


def test_nothing_is_shown_outside_a_test():
    capture = Capture()
    capture.listen(exchange(1))
    assert capture.test_exchanges(["export"]) == []
