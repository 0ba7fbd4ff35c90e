"""whatif: what-ifs for AI training infrastructure (time, cost, megawatts, energy, CO2).

Subpackages: `engine` (the pure model), `cli` (headless commands), `tui` (the Textual
app), `serve` (the SSH demo server) and `presets` (shipped scenarios, package data).
`whatif.main` is the console script that dispatches to them.
"""

__version__ = "0.2.0"
