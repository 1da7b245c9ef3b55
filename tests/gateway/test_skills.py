"""The gateway keeps the skills taxonomy a while rather than asking members
at every help request."""

import pytest

from gateway import skills


class Members:
    def __init__(self, answers):
        self.answers, self.calls = list(answers), 0

    def list_skills(self):
        self.calls += 1
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture(autouse=True)
def _fresh():
    skills.forget()
    yield
    skills.forget()


def test_the_taxonomy_is_asked_once_then_kept_until_its_time_runs_out(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(skills.time, "monotonic", lambda: clock[0])
    members = Members([[{"code": "garden"}], [{"code": "garden"}, {"code": "it"}]])
    assert skills.known_skills(members) == [{"code": "garden"}]
    clock[0] += skills.SKILLS_TTL - 1
    assert skills.known_skills(members) == [{"code": "garden"}] and members.calls == 1
    clock[0] += 2
    assert (
        skills.known_skills(members) == [{"code": "garden"}, {"code": "it"}] and members.calls == 2
    )


def test_a_failed_answer_is_not_kept():
    members = Members([TimeoutError("members did not answer"), [{"code": "garden"}]])
    with pytest.raises(TimeoutError):
        skills.known_skills(members)
    assert skills.known_skills(members) == [{"code": "garden"}] and members.calls == 2
