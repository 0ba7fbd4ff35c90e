"""Servers that give visitors their own copy of an app: `whatif serve-ssh`.

A front-end of its own: it never imports the app's modules. It is given the command (or,
for the preloader, the module) that runs the app for each visitor.
"""
