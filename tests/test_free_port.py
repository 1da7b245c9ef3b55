"""`free_port`: a port given to one process is not given to another before its server binds it. A
network's gateway binds its port only after the migrations, seconds later: a port given twice
meanwhile leaves it "Address already in use", and every test of that network fails at set-up."""

import os
import socket
import time

import pytest

from maillage import runner


class _Choices:
    """Chooses `ports` in turn, as SystemRandom.choice would pick them."""

    def __init__(self, *ports):
        self.ports = list(ports)

    def choice(self, _range):
        return self.ports.pop(0)


def _bindable_ports(count):
    found = []
    for port in runner.PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        found.append(port)
        if len(found) == count:
            return found
    raise AssertionError("no free port to test with")


@pytest.fixture
def reservations(tmp_path, monkeypatch):
    folder = tmp_path / "ports"
    monkeypatch.setattr(runner, "RESERVATIONS", folder)
    return folder


def test_a_port_given_is_not_given_again_before_its_server_binds_it(reservations, monkeypatch):
    first, second = _bindable_ports(2)
    monkeypatch.setattr(runner, "_CHOOSER", _Choices(first, first, second))
    assert runner.free_port() == first
    # nothing listens on `first` yet, and another caller draws it: it is given the next one
    assert runner.free_port() == second
    assert sorted(p.name for p in reservations.iterdir()) == sorted([str(first), str(second)])


def test_a_lapsed_reservation_is_taken_over(reservations, monkeypatch):
    (port,) = _bindable_ports(1)
    reservations.mkdir()
    lapsed = time.time() - runner.RESERVED_FOR - 1
    (reservations / str(port)).touch()
    os.utime(reservations / str(port), (lapsed, lapsed))
    monkeypatch.setattr(runner, "_CHOOSER", _Choices(port))
    assert runner.free_port() == port
    assert [p.name for p in reservations.iterdir()] == [str(port)]  # renewed, nothing left over
    assert time.time() - (reservations / str(port)).stat().st_mtime < 60


def test_a_port_in_use_is_skipped_even_when_not_reserved(reservations, monkeypatch):
    busy, free = _bindable_ports(2)
    with socket.socket() as server:
        server.bind(("127.0.0.1", busy))
        server.listen()
        monkeypatch.setattr(runner, "_CHOOSER", _Choices(busy, free))
        assert runner.free_port() == free


def test_without_a_writable_folder_the_probe_alone_decides(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setattr(runner, "RESERVATIONS", blocker)  # a file where the folder would be
    (port,) = _bindable_ports(1)
    monkeypatch.setattr(runner, "_CHOOSER", _Choices(port, port))
    assert runner.free_port() == port
    assert runner.free_port() == port
