#!/bin/sh
# Fetches the real-code dev set of `refbench pack-eval --cases` (docs/pack-eval.md, "Real-code
# dev set") from the package registries, by pinned version and sha256, into DIR (default
# /work/real6/src), and writes DIR/cases.jsonl (each case's `repo` relative to DIR).
#
# In: DIR. Out: DIR/NAME-VERSION/ (each a one-commit git repository: aider's RepoMap lists
# git-tracked files) and DIR/cases.jsonl. Needs pip, cargo, git, sha256sum, tar.
#
# The sources stay out of the refbench repository. Only the base (older) release of each pair
# is fetched: a case's gold files are listed in cases.jsonl.
set -eu
DIR=${1:-/work/real6/src}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$DIR/.dl"
DIR=$(cd "$DIR" && pwd)

# name version sha256 of the registry archive
PYPI='httpx 0.23.3 9818458eb565bb54898ccb9b8b251a28785dd4a55afbc23d0eb410754fe7d0f9
httpx 0.24.1 5853a43053df830c20f8110c5e69fe44d035d850b2dfe795e196f00fdb774bdd
httpx 0.25.1 ffd96d5cf901e63863d9f1b4b6807861dbea4d301613415d9e6e57ead15fc5d0
httpx 0.25.2 8b8fcaa0c8ea7b05edd69a094e63a2094c4efcb48129fb757361bc423c0ad9e8
attrs 22.2.0 c9227bfc2f01993c03f68db37d1d15c9690188323c067c641f1a35ca58185f99
attrs 23.1.0 6279836d581513a26f1bf235f9acd333bc9115683f14f7e8fae46c98fc50e015
click 8.1.3 7682dc8afb30297001674575ea00d1814d808d6a36af415a82bd481d37ba7b8e'
CRATES='tokio 1.53.0 d988bcd52dbe076d3d46903332f58c912b87a2c49b1428419a5845154762ffee
tokio 1.53.1 202caea871b69668250d242070849eb495be178ed697a3e98aebce5bc81a0bed
tokio 1.53.2 e95f91fcc7a621e8b030f6aa23c71fe9838ae2fb4d8118b75602a328f5144044'

check() { # file sha256
    got=$(sha256sum "$1" | cut -d' ' -f1)
    if [ "$got" != "$2" ]; then
        echo "fetch.sh: $1: sha256 $got, expected $2; the registry served other bytes" >&2
        exit 1
    fi
}

commit() { # folder
    (cd "$1" && chown -R "$(id -u):$(id -g)" . && rm -rf .git && git init -q && git add -A &&
        git -c user.name=refbench -c user.email=refbench@localhost commit -qm base)
}

echo "$PYPI" | while read -r name version sum; do
    [ -d "$DIR/$name-$version" ] && continue
    pip download -q --no-deps --no-binary :all: "$name==$version" -d "$DIR/.dl"
    check "$DIR/.dl/$name-$version.tar.gz" "$sum"
    tar xzf "$DIR/.dl/$name-$version.tar.gz" -C "$DIR"
    commit "$DIR/$name-$version"
done

echo "$CRATES" | while read -r name version sum; do
    [ -d "$DIR/$name-$version" ] && continue
    # cargo fetches a pinned crate through a throwaway package depending on it.
    p="$DIR/.dl/fetch-$name-$version"
    mkdir -p "$p/src"
    : >"$p/src/lib.rs"
    printf '[package]\nname = "fetch"\nversion = "0.0.0"\nedition = "2021"\n[dependencies]\n%s = { version = "=%s", default-features = false }\n' \
        "$name" "$version" >"$p/Cargo.toml"
    (cd "$p" && cargo fetch -q)
    crate=$(ls "${CARGO_HOME:-$HOME/.cargo}"/registry/cache/*/"$name-$version.crate" | head -n 1)
    check "$crate" "$sum"
    tar xzf "$crate" -C "$DIR"
    commit "$DIR/$name-$version"
done

cp "$HERE/cases.jsonl" "$DIR/cases.jsonl"
echo "fetched; run: refbench pack-eval --cases $DIR/cases.jsonl"
