"""Freezing the start-up heap: later full collections no longer walk it."""

from __future__ import annotations

import gc

from workers.heap import freeze_startup_heap


def test_start_up_objects_leave_the_collector_s_walk() -> None:
    walked_before = len(gc.get_objects())
    try:
        freeze_startup_heap()
        assert gc.get_freeze_count() >= walked_before // 2
        assert len(gc.get_objects()) < walked_before // 10
    finally:
        gc.unfreeze()  # this is a test process, not a service
    assert gc.get_freeze_count() == 0
