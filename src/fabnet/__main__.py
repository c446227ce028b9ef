"""``python -m fabnet`` runs the command-line interface."""

from fabnet.cli import main

if __name__ == "__main__":
    main()
