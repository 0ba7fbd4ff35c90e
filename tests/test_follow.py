"""Presenter mode in the app (tui/follow.py): a presenter app and follower apps on an
in-process relay (serve/relay.py), driven with Pilot like users."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from textual.widgets import Input, Static, TabbedContent

from test_app import card_text, type_into
from whatif.engine.evaluate import evaluate
from whatif.engine.presets import default_preset_path, load_preset
from whatif.engine.units import fmt
from whatif.serve.relay import running_relay
from whatif.tui.app import WhatifApp
from whatif.tui.screens.dialogs import ConfirmScreen
from whatif.tui.widgets.keybar import KeyBar

TIMEOUT_S = 10.0


async def until(predicate: Callable[[], bool], what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT_S
    while not predicate():
        assert loop.time() < deadline, f"never: {what}"
        await asyncio.sleep(0.02)


def status(app: WhatifApp) -> str:
    return str(app.query_one("#status", Static).render())


def days_for(count: int) -> str:
    result = evaluate(load_preset(default_preset_path()).with_values({"cluster.count": count}))
    return fmt("training_days", result["training_days"])


@pytest.fixture
async def relay():
    async with running_relay("Ada") as relay:
        yield relay


async def test_a_follower_mirrors_the_presenter_and_cannot_edit_its_scenario(relay):
    presenter = WhatifApp(relay_env=relay.child_env("presenter"))
    follower = WhatifApp(relay_env=relay.child_env("follower"))
    async with presenter.run_test(size=(120, 40)) as p_pilot, follower.run_test(size=(80, 24)) as f_pilot:
        await until(lambda: "presenting as Ada to 1 follower" in status(presenter), "presenter status")
        await until(lambda: "following Ada · F8 branch off" in status(follower), "follower status")
        assert follower.sub_title == "Ada presenting"
        # At 80x24 the way to edit stays on the key bar, and the status line stays one line.
        assert "f8 Branch/rejoin" in follower.query_one(KeyBar).render().plain
        assert "f8" not in presenter.query_one(KeyBar).render().plain
        assert follower.query_one("#status").size.height == 1

        await type_into(p_pilot, "f-cluster-count", "32768")
        await until(lambda: follower.session.scenario.cluster.count == 32768, "follower got 32768")
        await f_pilot.pause()
        assert card_text(follower, "training_days") == days_for(32768) != days_for(16384)
        assert not follower.session.dirty  # nothing of it is the follower's to save

        # Typing in the follower is refused, with the way out; nothing changes anywhere.
        await type_into(f_pilot, "f-cluster-count", "7")
        await f_pilot.pause()
        assert follower.session.scenario.cluster.count == 32768
        assert follower.query_one("#f-cluster-count", Input).value == "32768"
        assert any("Following Ada: press F8 to branch off and edit" in n.message for n in follower._notifications)
        await f_pilot.press("ctrl+b")  # so is pinning a baseline
        await f_pilot.pause()
        assert follower.session.baseline is None
        assert presenter.session.scenario.cluster.count == 32768

        # The presenter's baseline and view travel too.
        await p_pilot.press("ctrl+b", "alt+3")
        await until(lambda: follower.query_one("#tabs", TabbedContent).active == "tab-chart", "chart view")
        await until(lambda: follower.session.baseline is not None, "baseline")
        assert follower.session.baseline.scenario == presenter.session.baseline.scenario


async def test_a_follower_branches_off_edits_its_own_copy_and_rejoins_in_sync(relay):
    presenter = WhatifApp(relay_env=relay.child_env("presenter"))
    follower = WhatifApp(relay_env=relay.child_env("follower"))
    async with presenter.run_test(size=(120, 40)) as p_pilot, follower.run_test(size=(120, 40)) as f_pilot:
        await until(lambda: follower.follow.states_applied >= 1, "first state")
        await f_pilot.press("f8")
        await until(lambda: "branched off from Ada · F8 rejoin" in status(follower), "branched status")
        await type_into(f_pilot, "f-cluster-count", "1000")
        await until(lambda: follower.session.scenario.cluster.count == 1000, "own edit")
        assert presenter.session.scenario.cluster.count == 16384  # the presenter is unaffected

        await type_into(p_pilot, "f-cluster-count", "4096")
        await until(lambda: follower.follow.latest.scenario.cluster.count == 4096, "state received")
        assert follower.session.scenario.cluster.count == 1000  # branched: not applied

        await f_pilot.press("f8")  # rejoin: the copy has edits, so it asks first
        await until(lambda: isinstance(follower.screen, ConfirmScreen), "confirm dialog")
        await f_pilot.click("#yes")
        await until(lambda: follower.session.scenario.cluster.count == 4096, "back in sync")
        await f_pilot.pause()
        assert card_text(follower, "training_days") == days_for(4096)
        assert "following Ada" in status(follower)


async def test_followers_keep_the_last_state_when_the_presenter_leaves(relay):
    presenter = WhatifApp(relay_env=relay.child_env("presenter"))
    follower = WhatifApp(relay_env=relay.child_env("follower"))
    async with follower.run_test(size=(120, 40)) as f_pilot:
        async with presenter.run_test(size=(120, 40)) as p_pilot:
            await type_into(p_pilot, "f-cluster-count", "2048")
            await until(lambda: follower.session.scenario.cluster.count == 2048, "state")
        await until(lambda: "following Ada (left; showing their last state)" in status(follower), "left status")
        await f_pilot.pause()
        assert follower.session.scenario.cluster.count == 2048
        assert any("Ada stopped presenting" in n.message for n in follower._notifications)


async def test_a_late_follower_starts_at_the_presenters_state(relay):
    presenter = WhatifApp(relay_env=relay.child_env("presenter"))
    async with presenter.run_test(size=(120, 40)) as p_pilot:
        await type_into(p_pilot, "f-cluster-count", "8192")
        await until(lambda: relay.states_received >= 2, "published")
        follower = WhatifApp(relay_env=relay.child_env("follower"))
        async with follower.run_test(size=(80, 24)):
            await until(lambda: follower.session.scenario.cluster.count == 8192, "late state")


async def test_without_a_relay_there_is_no_branch_key_and_an_unreachable_one_says_so(tmp_path):
    app = WhatifApp(relay_env={})
    async with app.run_test(size=(120, 40)):
        assert app.follow is None and app.check_action("toggle_follow", ()) is False
    broken = WhatifApp(relay_env={"WHATIF_RELAY_SOCKET": str(tmp_path / "none.sock"), "WHATIF_RELAY_TOKEN": "t",
                                  "WHATIF_RELAY_ROLE": "follower"})
    async with broken.run_test(size=(120, 40)) as pilot:
        await until(lambda: "cannot reach the presenter relay" in status(broken), "problem shown")
        await pilot.press("f8")  # the copy can still be branched off and edited
        await type_into(pilot, "f-cluster-count", "64")
        assert broken.session.scenario.cluster.count == 64


async def test_a_follower_goes_to_the_presenters_tour_stop(relay, in_repo_root):
    from whatif.engine.tours import load_tour

    presenter = WhatifApp(tour=load_tour("presets/tours/article"), relay_env=relay.child_env("presenter"))
    follower = WhatifApp(tour=load_tour("presets/tours/article"), relay_env=relay.child_env("follower"))
    async with presenter.run_test(size=(120, 40)) as p_pilot, follower.run_test(size=(80, 24)) as f_pilot:
        await until(lambda: follower.follow.states_applied >= 1, "first state")
        await p_pilot.press("pagedown")
        await until(lambda: follower.session.stop_index == 1, "second stop")
        assert follower.session.scenario == presenter.session.scenario
        await f_pilot.pause()
        assert "stop 2/" in str(follower.query_one("#tour-band", Static).render())
        await f_pilot.press("pagedown")  # the follower's own tour keys are refused while following
        await f_pilot.pause()
        assert follower.session.stop_index == 1 and presenter.session.stop_index == 1


async def test_followers_show_the_presenters_p10_p90_figures_without_sampling_again(relay, monkeypatch):
    from whatif.engine.analysis import uncertainty
    from whatif.tui import follow

    monkeypatch.setattr(follow, "BANDS_WAIT_S", 10.0)  # a slow machine: the state waits for them
    sampled = []  # the results whose Monte Carlo ran (both apps run in this process)
    real = uncertainty.monte_carlo
    monkeypatch.setattr(uncertainty, "monte_carlo", lambda scenario, base=None, **kw: (
        sampled.append(base), real(scenario, base, **kw))[1])
    presenter = WhatifApp(relay_env=relay.child_env("presenter"))
    follower = WhatifApp(relay_env=relay.child_env("follower"))
    async with presenter.run_test(size=(120, 40)) as p_pilot, follower.run_test(size=(120, 40)) as f_pilot:
        await until(lambda: follower.follow.states_applied >= 1, "first state")
        await type_into(p_pilot, "f-cluster-count", "4096")
        strip = lambda app: str(app.query_one("#uncertainty-strip", Static).render())  # noqa: E731
        await until(lambda: follower.session.scenario.cluster.count == 4096 and
                    strip(follower).startswith("P10/P50/P90:") and strip(presenter).startswith("P10/P50/P90:"),
                    "strips sampled")
        await f_pilot.pause()
        assert strip(follower) == strip(presenter)  # the same figures, from the presenter's samples
        assert not any(r is follower.session.result for r in sampled)
        assert any(r is presenter.session.result for r in sampled)
        assert follower.follow.latest.bands is not None
        assert set(follower.follow.latest.bands) == set(uncertainty.HEADLINE)
