"""The ``scratchbook`` command: build, check, watch, preview, new."""

from __future__ import annotations

import argparse
import os
import sys

from .engine import profile
from .engine.errors import ScratchbookError
from .engine.project import find_project


def positive(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got '{text}'")
    return number


def main(argv: list[str] | None = None) -> int:
    if argv is None and not profile.in_effect():
        # Start again under the numeric profile, before anything numeric is imported: every
        # process this command starts (one per post) inherits it.
        sys.stdout.flush()
        os.execve(sys.executable, [sys.executable, "-m", "scratchbook", *sys.argv[1:]],
                  profile.environment())
    parser = argparse.ArgumentParser(
        prog="scratchbook",
        description="Build literate Python posts into Hugo markdown, recording every number.")
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="run posts and write hugo_content/ and figures/")
    build.add_argument("posts", nargs="*", help="post files or names (default: all)")
    build.add_argument("--no-cache", action="store_true",
                       help="recompute every experiment (and store the fresh results)")
    build.add_argument("--jobs", "-j", type=positive, default=1, help="posts built in parallel")
    check = commands.add_parser("check", help="rebuild from a cold cache; fail on any drift")
    check.add_argument("posts", nargs="*", help="post files or names (default: all)")
    check.add_argument("--jobs", "-j", type=positive, default=1, help="posts rebuilt in parallel")
    watch = commands.add_parser("watch", help="rebuild a post when it or what it uses changes")
    watch.add_argument("posts", nargs="*", help="post files, names or slugs (default: all)")
    watch.add_argument("--interval", type=float, default=0.5)
    preview = commands.add_parser("preview", help="serve the posts with Hugo on 127.0.0.1, "
                                                  "rebuilt on save")
    preview.add_argument("posts", nargs="*", help="post files, names or slugs (default: all)")
    preview.add_argument("--port", type=int, default=1313)
    preview.add_argument("--site", help="the author's Hugo site folder (default: a throwaway "
                                        "site with the README's settings)")
    preview.add_argument("--interval", type=float, default=0.5)
    new = commands.add_parser("new", help="scaffold posts/NN_name.py")
    new.add_argument("name", nargs="+")
    args = parser.parse_args(argv)

    try:
        project = find_project()
        if args.command in ("build", "check"):
            from .engine.build import stop_on_signals
            stop_on_signals()
        if args.command == "build":
            from .engine.build import build_many
            summaries = build_many(project, project.resolve_posts(args.posts),
                                   jobs=args.jobs, refresh=args.no_cache)
            return 0 if all(s.ok for s in summaries) else 1
        if args.command == "check":
            from .engine.check import check_posts
            report = check_posts(project, project.resolve_posts(args.posts), jobs=args.jobs)
            print(report.render())
            return 0 if report.ok else 1
        if args.command == "watch":
            from .engine.watch import watch as watch_posts
            watch_posts(project, project.resolve_posts(args.posts) if args.posts else None,
                        args.interval)
            return 0
        if args.command == "preview":
            from pathlib import Path

            from .engine.preview import preview as preview_posts
            preview_posts(project, project.resolve_posts(args.posts) if args.posts else None,
                          port=args.port, site=Path(args.site) if args.site else None,
                          interval=args.interval)
            return 0
        if args.command == "new":
            from .engine.scaffold import new_post
            made = new_post(project, " ".join(args.name))
            print(f"created {project.relative(made.path)}")
            for note in made.notes:
                print(f"note: {note}")
            return 0
    except ScratchbookError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: outputs left as they were", file=sys.stderr)
        return 130
    return 1


if __name__ == "__main__":
    sys.exit(main())
