"""``python -m fabnet.jobs``: one job from the JSON on standard input (see :func:`main`)."""

from fabnet.jobs.process import main

if __name__ == "__main__":
    raise SystemExit(main())
