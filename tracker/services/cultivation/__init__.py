"""Cultivation lists (培育名单): a company × target rung × year, moved through the state machine.

tracks: the use cases (add companies to a list, move a track, reopen it in a later year);
board: the read side (the board and its column pages, the funnel, a track's history).
"""
