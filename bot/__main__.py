"""`python -m bot` is the `claimbot` command."""

from bot.cli import main

main(prog_name="claimbot")
