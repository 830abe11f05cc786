"""An injected worker clock for the delivery fault tests: on PYTHONPATH of a worker process only.

TRACKER_TEST_CLOCK_OFFSET seconds are added to tracker.clock.now and tracker.clock.today, in that
module and wherever the app bound them under another name at import time (e.g. a module-level
`now = clock.now`), as a machine whose clock is that far off would see it. Leases and due times
must not care: they use the database's clock.
"""

import datetime as _dt
import os as _os
import sys as _sys

_offset = float(_os.environ.get("TRACKER_TEST_CLOCK_OFFSET") or 0)
if _offset:
    import tracker.clock as _clock  # imports the app package, and with it most modules

    _real_now, _real_today = _clock.now, _clock.today

    def _now():
        return _real_now() + _dt.timedelta(seconds=_offset)

    def _today():
        return (_dt.datetime.now(_clock.TZ) + _dt.timedelta(seconds=_offset)).date()

    for _module in list(_sys.modules.values()):
        if not getattr(_module, "__name__", "").startswith("tracker"):
            continue
        for _name, _value in list(vars(_module).items()):
            if _value is _real_now:
                setattr(_module, _name, _now)
            elif _value is _real_today:
                setattr(_module, _name, _today)
