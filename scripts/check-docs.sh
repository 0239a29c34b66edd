#!/usr/bin/env bash
# The documentation stands alone: README.md, docs/ and examples/ point only
# into this repository. Fails (exit 1, one `file:line: why` per finding) when
#   - README.md, docs/** or examples/** mention `shared/DESIGN.md` or `../shared`
#     (a design note that lives outside the repository), or
#   - a markdown link in README.md or docs/**/*.md has a relative target that
#     does not exist in the repository (or resolves outside it).
# http(s)/mailto links and pure #anchors are not checked; neither are links
# inside fenced code blocks or inline code. Plain bash and awk: no cargo.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd -P)

failures=0
fail() {
  echo "$1" >&2
  failures=$((failures + 1))
}

# 1. Pointers to the design note outside the repository.
scanned=(README.md docs examples)
for pattern in 'shared/DESIGN.md' '../shared'; do
  while IFS= read -r hit; do
    [ -n "$hit" ] || continue
    where=${hit%%:*}
    rest=${hit#*:}
    line=${rest%%:*}
    fail "$where:$line: mentions \`$pattern\`, which is outside the repository"
  done < <(grep -rnIF -- "$pattern" "${scanned[@]}" || true)
done

# 2. Relative markdown links that do not resolve to a file in the repository.
# awk prints "LINE<TAB>TARGET" for every inline link `](target)` and every
# reference definition `[label]: target` outside fenced code, with inline
# code spans removed first.
links() {
  awk '
    /^[[:space:]]*(```|~~~)/ { fenced = !fenced; next }
    fenced { next }
    {
      line = $0
      gsub(/`[^`]*`/, "", line)
      if (match(line, /^[[:space:]]*\[[^]]+\]:[[:space:]]*[^[:space:]]+/)) {
        def = substr(line, RSTART, RLENGTH)
        sub(/^[[:space:]]*\[[^]]+\]:[[:space:]]*/, "", def)
        print NR "\t" def
      }
      while (match(line, /\]\([^)]*\)/)) {
        target = substr(line, RSTART + 2, RLENGTH - 3)
        line = substr(line, RSTART + RLENGTH)
        print NR "\t" target
      }
    }
  ' "$1"
}

mapfile -t markdown < <(printf '%s\n' README.md; find docs -type f -name '*.md' | LC_ALL=C sort)
for file in "${markdown[@]}"; do
  dir=$(dirname "$file")
  while IFS=$'\t' read -r line target; do
    # `<target>` and `target "title"` forms.
    target=${target#<}
    target=${target%>}
    target=${target%% \"*}
    target=${target%% \'*}
    case "$target" in
      '' | '#'* | http://* | https://* | mailto:*) continue ;;
      *://*) continue ;;
    esac
    path=${target%%#*}
    path=${path%%\?*}
    [ -n "$path" ] || continue
    case "$path" in
      /*) resolved=$(realpath -m -- "$root$path") ;;
      *) resolved=$(realpath -m -- "$root/$dir/$path") ;;
    esac
    case "$resolved" in
      "$root" | "$root"/*) ;;
      *)
        fail "$file:$line: link target \`$target\` is outside the repository"
        continue
        ;;
    esac
    if [ ! -e "$resolved" ]; then
      fail "$file:$line: link target \`$target\` does not exist (${resolved#"$root"/})"
    fi
  done < <(links "$file")
done

if [ "$failures" -gt 0 ]; then
  echo "check-docs: $failures problem(s): the documentation must stand alone (see above)" >&2
  exit 1
fi
echo "check-docs: README.md, docs/ and examples/ point only into the repository (${#markdown[@]} markdown files checked)"
