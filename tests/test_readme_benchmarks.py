"""The README / docs benchmark commands that need no earlier command's output, run at tiny scale
in their own chain so the two test workers share the walk-through (tests/test_readme.py)."""

import pytest

from tests.test_readme import chain, run_commands


@pytest.mark.subprocess
@pytest.mark.longest
def test_standalone_benchmark_commands_run_at_tiny_scale(tmp_path):
    commands = chain(standalone=True)
    assert len(commands) >= 10, "the benchmark chain lost its commands"
    run_commands(tmp_path, commands)
