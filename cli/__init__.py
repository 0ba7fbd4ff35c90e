"""The headless command line (`whatif eval|chips|presets|...`): a front-end of the engine."""
