"""aider's RepoMap as a pack-eval peer (`refbench pack-eval --aider-python PY`).

In: argv REPO BUDGET TASK_FILE (the repository folder, a token budget, a file holding the task
text). Out (stdout, JSON): {"text": the map, "files": [{"path", "mode": "outline" | "name",
"text": the file's part of the map}]}.

The map is built the way aider's chat builds it for a message with no file in the chat: every
git-tracked file is an "other" file; the files and identifiers the text mentions are found as
aider's coder finds them (words that are a file's relative path or a unique base name with a
`/ . _ -` in it; every `\\W+`-separated word as an identifier; words of 5+ letters that are a
file's stem, case-insensitively). Tokens are counted with o200k_base (tiktoken, reading the
vocabulary file that tiktoken-rs ships, since the machine cannot fetch it).

Needs a Python where `import aider` works (pip install aider-chat).
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

O200K_URL = "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken"


def prepare_tiktoken():
    """Points tiktoken's cache at a copy of tiktoken-rs's o200k_base vocabulary."""
    if os.environ.get("TIKTOKEN_CACHE_DIR"):
        return
    registry = Path.home() / ".cargo" / "registry" / "src"
    found = sorted(registry.glob("*/tiktoken-rs-*/assets/o200k_base.tiktoken"))
    if not found:
        return
    cache = Path(tempfile.gettempdir()) / "refbench-tiktoken-cache"
    cache.mkdir(exist_ok=True)
    target = cache / hashlib.sha1(O200K_URL.encode()).hexdigest()
    if not target.exists():
        shutil.copyfile(found[-1], target)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)


class O200k:
    """What RepoMap asks of a model: token counts."""

    def __init__(self):
        import tiktoken

        self.enc = tiktoken.get_encoding("o200k_base")

    def token_count(self, text):
        return len(self.enc.encode(text, disallowed_special=()))


class QuietIO:
    """What RepoMap asks of aider's InputOutput: read files, report errors."""

    def read_text(self, fname, silent=False):
        try:
            return Path(fname).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def tool_error(self, *args, **kwargs):
        print(*args, file=sys.stderr)

    tool_warning = tool_error

    def tool_output(self, *args, **kwargs):
        pass


def file_mentions(text, rel_files):
    words = {w.rstrip(",.!;:?").strip("\"'`*_") for w in text.split()}
    mentioned = {f for f in rel_files if f in words}
    by_name = defaultdict(list)
    for f in rel_files:
        name = os.path.basename(f)
        if any(c in name for c in "/._-"):
            by_name[name].append(f)
    for name, files in by_name.items():
        if len(files) == 1 and name in words:
            mentioned.add(files[0])
    return mentioned


def ident_filename_matches(idents, rel_files):
    stems = defaultdict(set)
    for f in rel_files:
        stem = Path(f).stem.lower()
        if len(stem) >= 5:
            stems[stem].add(f)
    out = set()
    for ident in idents:
        if len(ident) >= 5:
            out.update(stems[ident.lower()])
    return out


def split_sections(text, rel_files):
    known = set(rel_files)
    files = []
    current = None
    for line in text.splitlines(keepends=True):
        bare = line.rstrip("\n")
        if bare.endswith(":") and bare[:-1] in known:
            current = {"path": bare[:-1], "mode": "outline", "text": ""}
            files.append(current)
        elif bare in known:
            current = None
            files.append({"path": bare, "mode": "name", "text": ""})
        elif current is not None:
            current["text"] += line
    return files


def main():
    repo, budget, task_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    prepare_tiktoken()
    from aider.repomap import RepoMap

    text = Path(task_file).read_text(encoding="utf-8")
    listed = subprocess.run(
        ["git", "ls-files"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    rel_files = sorted(f for f in listed if (Path(repo) / f).is_file())
    idents = set(re.split(r"\W+", text))
    mentioned = file_mentions(text, rel_files) | ident_filename_matches(idents, rel_files)
    cache_home = tempfile.mkdtemp(prefix="refbench-aider-")
    try:
        os.chdir(cache_home)
        rm = RepoMap(map_tokens=budget, root=repo, main_model=O200k(), io=QuietIO())
        rm.TAGS_CACHE_DIR = os.path.join(cache_home, "tags")
        others = [str(Path(repo) / f) for f in rel_files]
        out = rm.get_ranked_tags_map([], others, budget, mentioned, idents) or ""
    finally:
        shutil.rmtree(cache_home, ignore_errors=True)
    json.dump({"text": out, "files": split_sections(out, rel_files)}, sys.stdout)


if __name__ == "__main__":
    main()
