"""Every git call of releases and promotions: subprocess with explicit argument lists (never a shell),
git's own error turned into one clear message.

Writes go through one ref transaction (``git update-ref --stdin``): a commit built on a temporary index
(``read-tree`` / ``update-index`` / ``write-tree`` / ``commit-tree``: the working tree and the real index
are not touched), annotated tag objects (``git mktag``), then the branch update and every tag creation
committed together or not at all. ``create`` fails when a tag exists and ``update`` fails when the branch
moved, so two concurrent runs cannot both succeed, and the loser leaves nothing behind but unreachable
objects (which ``git gc`` collects).
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from llmops_ci.atomic import write_atomically
from llmops_ci.errors import UsageError
from llmops_ci.release import ReleaseError

_FIELD = "\x00"
_RECORD = "\x00\x1e\n"


class GitError(ReleaseError):
    """A git command failed (exit 1): the message is git's own last line, and what we were doing."""


@dataclass(frozen=True)
class Identity:
    name: str
    email: str

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


@dataclass(frozen=True)
class TagInfo:
    """An annotated tag (``annotated`` false: a lightweight one, whose message is its commit's)."""

    name: str
    annotated: bool
    commit: str
    tagger_name: str
    tagger_email: str
    date: str
    message: str


@dataclass(frozen=True)
class NewTag:
    name: str
    commit: str
    message: str


def _last_line(stderr: str) -> str:
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith("hint:")]
    return lines[-1] if lines else "failed"


class Git:
    """The repository holding ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        try:
            done = self._call(["rev-parse", "--show-toplevel"], check=False)
        except FileNotFoundError:
            raise UsageError("git is not on PATH; releases and promotions are git tags") from None
        if done.returncode != 0:
            raise UsageError(f"{directory} is not inside a git repository ({_last_line(done.stderr)})")
        self.top = Path(done.stdout.strip())

    def _call(
        self,
        args: Sequence[str],
        *,
        stdin: str | None = None,
        env: Mapping[str, str] | None = None,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        full_env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", **(env or {})}
        done = subprocess.run(
            ["git", "--no-optional-locks", "-C", str(self.directory), *args],
            input=stdin,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="surrogateescape",
            env=full_env,
            check=False,
        )
        if check and done.returncode != 0:
            raise GitError(f"git {args[0]}: {_last_line(done.stderr)}")
        return done

    def run(self, *args: str, stdin: str | None = None, env: Mapping[str, str] | None = None) -> str:
        return self._call(args, stdin=stdin, env=env).stdout

    # --- reading -------------------------------------------------------------------------------------

    def relative(self, path: Path) -> str:
        """``path`` relative to the top of the repository, with forward slashes."""
        return path.resolve().relative_to(self.top.resolve()).as_posix()

    def dirty(self, *paths: str) -> list[str]:
        """``git status --porcelain`` lines: tracked changes and untracked (not ignored) files."""
        args = ["status", "--porcelain", "--untracked-files=normal"]
        if paths:
            args += ["--", *paths]
        return [line for line in self.run(*args).splitlines() if line.strip()]

    def head(self) -> str:
        done = self._call(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"], check=False)
        if done.returncode != 0:
            raise ReleaseError("the repository has no commit yet: commit the artifacts first")
        return done.stdout.strip()

    def branch(self) -> str:
        """The checked-out branch's full ref; refuses a detached HEAD (nothing to commit the changelog to)."""
        done = self._call(["symbolic-ref", "--quiet", "HEAD"], check=False)
        if done.returncode != 0:
            raise ReleaseError("HEAD is detached: check out the branch to release from (git switch main)")
        return done.stdout.strip()

    def commit_of(self, ref: str) -> str | None:
        done = self._call(
            ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"], check=False
        )
        return done.stdout.strip() if done.returncode == 0 else None

    def show(self, commit: str, path: str) -> bytes | None:
        """The content of ``path`` (relative to the top) at ``commit``; None when absent."""
        done = subprocess.run(
            ["git", "--no-optional-locks", "-C", str(self.directory), "cat-file", "blob", f"{commit}:{path}"],
            capture_output=True,
            check=False,
        )
        return done.stdout if done.returncode == 0 else None

    def archive(self, commit: str, prefix: str) -> bytes:
        """A tar of ``commit``'s tree (below ``prefix``, relative to the top, when given)."""
        treeish = f"{commit}:{prefix}" if prefix else commit
        done = subprocess.run(
            ["git", "--no-optional-locks", "-C", str(self.directory), "archive", "--format=tar", treeish],
            capture_output=True,
            check=False,
        )
        if done.returncode != 0:
            raise GitError(f"git archive: {_last_line(done.stderr.decode('utf-8', 'replace'))}")
        return done.stdout

    def tags(self, *patterns: str) -> list[TagInfo]:
        """Tags under ``refs/tags/<pattern>`` (a prefix up to a slash, or a glob), in one call."""
        fields = (
            "%(refname:strip=2)",
            "%(objecttype)",
            "%(objectname)",
            "%(*objectname)",
            "%(taggername)",
            "%(taggeremail)",
            "%(taggerdate:iso-strict)",
            "%(contents)",
        )
        fmt = "%00".join(fields) + "%00%1e"
        out = self.run("for-each-ref", f"--format={fmt}", *(f"refs/tags/{p}" for p in patterns))
        found: list[TagInfo] = []
        for record in out.split(_RECORD):
            if not record.strip():
                continue
            parts = record.lstrip("\n").split(_FIELD)
            if len(parts) < len(fields):
                continue
            name, kind, oid, target, tagger, email, date, message = parts[: len(fields)]
            annotated = kind == "tag"
            found.append(
                TagInfo(
                    name=name,
                    annotated=annotated,
                    commit=target if annotated else oid,
                    tagger_name=tagger,
                    tagger_email=email.strip("<>"),
                    date=date,
                    message=message,
                )
            )
        return found

    def tag_exists(self, name: str) -> bool:
        done = self._call(["rev-parse", "--verify", "--quiet", f"refs/tags/{name}"], check=False)
        return done.returncode == 0

    def identity(self) -> Identity:
        """Who is acting: git's author identity (``user.name``/``user.email``, or ``GIT_AUTHOR_*``)."""
        done = self._call(["var", "GIT_AUTHOR_IDENT"], check=False)
        match = re.match(r"^(.*?) <(.*)> \d+ [+-]\d{4}$", done.stdout.strip())
        if done.returncode != 0 or match is None or not match.group(2):
            raise ReleaseError(
                "no git identity: set it with git config user.name 'Your Name' and "
                "git config user.email you@example.com (or GIT_AUTHOR_NAME / GIT_AUTHOR_EMAIL)"
            )
        return Identity(match.group(1), match.group(2))

    @staticmethod
    def check_ref_format(ref: str) -> bool:
        done = subprocess.run(["git", "check-ref-format", ref], capture_output=True, check=False)
        return done.returncode == 0

    # --- writing -------------------------------------------------------------------------------------

    def commit_files(self, parent: str, files: Mapping[str, str], message: str) -> str:
        """A commit on ``parent`` whose tree is ``parent``'s with ``files`` (top-relative path -> text)
        replaced, built on a temporary index; no ref moves."""
        with tempfile.TemporaryDirectory(prefix="llmops-ci-index-") as temporary:
            env = {"GIT_INDEX_FILE": str(Path(temporary) / "index")}
            self.run("read-tree", parent, env=env)
            for path, text in files.items():
                blob = self.run("hash-object", "-w", "--stdin", "--path", path, stdin=text).strip()
                self.run("update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=env)
            tree = self.run("write-tree", env=env).strip()
        return self.run("commit-tree", tree, "-p", parent, "-F", "-", stdin=message).strip()

    def make_tag(self, tag: NewTag) -> str:
        """An annotated tag object (not yet a ref) by the committer identity, as ``git tag -a`` makes."""
        done = self._call(["var", "GIT_COMMITTER_IDENT"], check=False)
        if done.returncode != 0:
            raise ReleaseError("no git identity: set git config user.name and user.email")
        message = tag.message if tag.message.endswith("\n") else tag.message + "\n"
        content = (
            f"object {tag.commit}\ntype commit\ntag {tag.name}\ntagger {done.stdout.strip()}\n\n{message}"
        )
        return self.run("mktag", stdin=content).strip()

    def transaction(self, *, branch: tuple[str, str, str] | None = None, tags: Sequence[NewTag] = ()) -> None:
        """Move ``branch`` (ref, new, expected old) and create ``tags`` atomically: all or nothing."""
        objects = [(tag, self.make_tag(tag)) for tag in tags]
        lines = []
        if branch is not None:
            ref, new, old = branch
            lines.append(f"update {ref} {new} {old}")
        lines += [f"create refs/tags/{tag.name} {oid}" for tag, oid in objects]
        done = self._call(["update-ref", "--stdin"], stdin="\n".join(lines) + "\n", check=False)
        if done.returncode == 0:
            return
        reason = _last_line(done.stderr)
        existing = [tag.name for tag in tags if self.tag_exists(tag.name)]
        if existing:
            raise ReleaseError(
                f"tag {existing[0]} already exists (created concurrently?); nothing was written. "
                "Tags are never moved: fetch the tags and run again"
            )
        if branch is not None and self.commit_of(branch[0]) != branch[2]:
            raise ReleaseError(
                f"{branch[0].removeprefix('refs/heads/')} moved while releasing (a concurrent commit?); "
                "nothing was written: run again"
            )
        raise GitError(f"git update-ref: {reason}; nothing was written")

    def sync_worktree(self, files: Mapping[str, str]) -> None:
        """After the branch moved to a commit holding ``files``: write them (atomically) and stage them,
        so the working tree is clean again. Retries while another git process holds the index lock."""
        for path, text in files.items():
            target = self.top / path
            target.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(target, text)
        for attempt in range(50):
            # absolute paths: git runs in the project directory, which may lie below the top
            done = self._call(
                ["update-index", "--add", "--", *(str(self.top / f) for f in files)], check=False
            )
            if done.returncode == 0:
                return
            if "index.lock" not in done.stderr or attempt == 49:
                raise GitError(
                    f"git update-index: {_last_line(done.stderr)} (the commit and tags are written; "
                    f"run git add {' '.join(files)} to clean the working tree)"
                )
            time.sleep(0.1)

    def push(self, remote: str, refs: Sequence[str]) -> None:
        if remote.startswith("-"):
            raise UsageError(f"--push {remote!r}: not a remote name")
        done = self._call(["push", "--atomic", "--porcelain", remote, *refs], check=False)
        if done.returncode != 0:
            raise GitError(f"git push {remote}: {_last_line(done.stderr or done.stdout)}")
