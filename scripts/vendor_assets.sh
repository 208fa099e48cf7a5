#!/usr/bin/env bash
# Vendor pinned front-end libraries from the npm registry into static/vendor/,
# and axe-core (a test asset, never served) into tests/browser/vendor/axe-core/.
#
#   scripts/vendor_assets.sh          (can be run from any directory)
#
# For each library: `npm pack <pkg>@<version>` into a temp dir, check the
# tarball against the pinned sha512 integrity, extract it, and copy only the
# distributable files (plus their source maps and the licence) into
# static/vendor/<name>-<version>/. Older folders of the same library are
# removed first, so a rerun (or a version bump) leaves a clean tree.
# No CDN and no build step: files are copied byte-for-byte from the tarballs.
#
# Source maps: every vendored .min.js/.min.css ends in a sourceMappingURL
# comment. In production the project uses whitenoise's
# CompressedManifestStaticFilesStorage, whose collectstatic aborts when a
# referenced .map file is missing, so the .map files are copied too.
#
# To bump a library: change its *_VER and *_SHA below; get the new values with
#   npm view <pkg> version
#   npm view <pkg>@<version> dist.integrity
set -euo pipefail

cd "$(dirname "$0")/.."
REPO_ROOT="$(pwd)"
VENDOR_DIR="$REPO_ROOT/static/vendor"

# ---- pinned versions ---------------------------------------------------------
TABLER_PKG="@tabler/core"
TABLER_VER="1.6.1"
TABLER_SHA="sha512-lgmR9gcxRp5JlLxcmRi9Rz85JrEvH6Bz71KnlcPVSa97wtwQNjgSs3g3fxwbAlulHyRMghhIV04QUuW3pqDsIg=="

ICONS_PKG="@tabler/icons"
ICONS_VER="3.51.0"
ICONS_SHA="sha512-0pinvPZz7YeX+OSfxuEAbnEPWbocVXW5iU8h5lh41pYG8sZuQfpWECC980lxOT0clGIcNGn8xsBr+zKaRGdA/g=="

CHARTJS_PKG="chart.js"
CHARTJS_VER="4.6.1"
CHARTJS_SHA="sha512-hJyniucsFmq//EvXYvJ6c6mahPoI3kaxdjVH8awTaJ/fDNWeSqqqArixMJWkWNN6fcYvPU3HneSANFNYtRi61g=="

SIGPAD_PKG="signature_pad"
SIGPAD_VER="5.1.4"
SIGPAD_SHA="sha512-q0wO5a+U+AWPVcVmiNXz7FY4Ad1QiE8wto/3Yn41WVqepoVVYMvkb1CTokaWPUUAHWDLLabH3/acODeWM9jCrg=="

# The script font a typed signature is drawn in (SIL Open Font License 1.1): latin, regular.
SCRIPTFONT_PKG="@fontsource/dancing-script"
SCRIPTFONT_VER="5.3.0"
SCRIPTFONT_SHA="sha512-/FFbz4ZCNN+eG2a6phkZB41iKmyCC6rq2blA/kG9OFeI3/tpzLNazND1bBdEnogLhpfg7o4NfauTbEEYSpSUGg=="

TOMSELECT_PKG="tom-select"
TOMSELECT_VER="2.6.2"
TOMSELECT_SHA="sha512-eiXIkk82XzzUTOVQDFpy+ZGejuqdTvMukyUyeZBQaKnqW42UoTiTZnrod/eX0rkqJEc4rZY9DZ3zdjV07i29wQ=="

# A test asset, not served by the portal: the browser tests inject it into every page they visit.
AXE_PKG="axe-core"
AXE_VER="4.14.1"
AXE_SHA="sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
AXE_DIR="$REPO_ROOT/tests/browser/vendor/axe-core"

# Outline icons inlined server-side by the icon template tag (<name>.svg).
ICONS=(
  home building id-badge-2 phone file-text activity settings users key
  lifebuoy search logout user chevron-down check x alert-triangle
  info-circle plus refresh switch-horizontal mail lock shield-check clock
  trash edit download upload external-link menu-2 circle-check circle-x
  eye history filter arrows-sort list-details signature certificate
)

# ---- helpers -----------------------------------------------------------------
die() { echo "vendor_assets: error: $*" >&2; exit 1; }

command -v npm >/dev/null || die "npm not found on PATH"
command -v tar >/dev/null || die "tar not found on PATH"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# fetch <pkg> <version> <integrity> -> prints the extracted package dir
fetch() {
  local pkg="$1" ver="$2" sha="$3" dest json tgz got
  dest="$WORK/$(echo "$pkg" | tr '@/' '__')"
  mkdir -p "$dest"
  if ! json="$(cd "$dest" && npm pack "$pkg@$ver" --json 2>"$dest.err")"; then
    cat "$dest.err" >&2
    die "npm pack $pkg@$ver failed"
  fi
  tgz="$(find "$dest" -maxdepth 1 -name '*.tgz' | head -n1)"
  [[ -n "$tgz" ]] || die "npm pack $pkg@$ver produced no tarball"
  got="$(printf '%s' "$json" | grep -o '"integrity": *"[^"]*"' | head -n1 | sed 's/.*"\(sha[^"]*\)"/\1/')"
  [[ "$got" == "$sha" ]] || die "$pkg@$ver integrity mismatch: expected $sha, got ${got:-<none>}"
  tar -xzf "$tgz" -C "$dest"
  [[ -f "$dest/package/package.json" ]] || die "$pkg@$ver tarball has no package/ dir"
  echo "$dest/package"
}

# put <src_pkg_dir> <relpath> <stage_dir> [<dest_name>]: copy a file, must exist and be non-empty
put() {
  local src="$1/$2" dst="$3/${4:-$(basename "$2")}"
  [[ -s "$src" ]] || die "missing or empty in tarball: $2"
  cp "$src" "$dst"
}

# put_min <src_pkg_dir> <relpath> <stage_dir>: copy a minified file plus its source map
put_min() {
  put "$1" "$2" "$3"
  put "$1" "$2.map" "$3"
}

# licence <src_pkg_dir> <stage_dir> <pkg> <ver> [<banner_file>]
# Copies the package's licence file; if the tarball ships none but package.json
# declares MIT, writes the standard MIT text with the copyright lines taken
# from the dist file's banner comment (and says so in the file).
licence() {
  local src="$1" stage="$2" pkg="$3" ver="$4" banner="${5:-}" f spdx
  for f in LICENSE LICENSE.md LICENSE.txt license license.md LICENCE; do
    if [[ -s "$src/$f" ]]; then cp "$src/$f" "$stage/$f"; return; fi
  done
  spdx="$(grep -o '"license": *"[^"]*"' "$src/package.json" | head -n1 | sed 's/.*: *"\([^"]*\)"/\1/')"
  [[ "$spdx" == "MIT" && -n "$banner" ]] \
    || die "$pkg@$ver ships no licence file (package.json license: ${spdx:-none})"
  echo "vendor_assets: note: $pkg@$ver tarball has no LICENSE; writing MIT text from package.json + banner" >&2
  {
    echo "NOTE: the npm tarball of $pkg@$ver contains no licence file."
    echo "Its package.json declares \"license\": \"MIT\" and its dist files carry this banner:"
    echo
    sed -n '/\/\*!/,/\*\//p' "$src/$banner" | sed '1s/^.*\/\*!/\/*!/' | head -n 10
    echo
    echo "The MIT License (MIT)"
    echo
    sed -n '/\/\*!/,/\*\//p' "$src/$banner" | grep -o 'Copyright .*' | sed 's/^Copyright /Copyright (c) /'
    cat <<'MIT'

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in
all copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN
THE SOFTWARE.
MIT
  } > "$stage/LICENSE"
}

# no_external_urls <file>: fail if a CSS file references anything but data: URIs
# (fonts, images) that would 404 because it was not vendored.
no_external_urls() {
  local refs
  refs="$(grep -o 'url([^)]*)' "$1" | grep -v -E "^url\(['\"]?data:" || true)"
  refs="$refs$(grep -o '@import[^;]*' "$1" || true)"
  [[ -z "$refs" ]] || die "$(basename "$1") references files that are not vendored: $refs"
}

# install <name> <ver> <stage_dir>: replace static/vendor/<name>-* with the staged dir
install_lib() {
  local name="$1" ver="$2" stage="$3" old
  mkdir -p "$VENDOR_DIR"
  # <name>-<digit>* so "tabler" never matches "tabler-icons-*"
  for old in "$VENDOR_DIR/$name"-[0-9]*; do
    if [[ -d "$old" ]]; then rm -rf "$old"; fi
  done
  mv "$stage" "$VENDOR_DIR/$name-$ver"
  echo "vendored $name-$ver ($(find "$VENDOR_DIR/$name-$ver" -type f | wc -l) files)"
}

new_stage() { local d="$WORK/stage-$1"; rm -rf "$d"; mkdir -p "$d"; echo "$d"; }

# ---- 1. Tabler core (CSS + JS; tabler.min.js bundles Bootstrap JS and Popper) --
src="$(fetch "$TABLER_PKG" "$TABLER_VER" "$TABLER_SHA")"
stage="$(new_stage tabler)"
put_min "$src" dist/css/tabler.min.css "$stage"
# Tabler's styling for third-party plugins (tom-select among them); tabler.min.css
# uses --tblr-* variables, tom-select.bootstrap5.css expects --bs-* ones.
put_min "$src" dist/css/tabler-vendors.min.css "$stage"
put_min "$src" dist/js/tabler.min.js "$stage"
no_external_urls "$stage/tabler.min.css"
no_external_urls "$stage/tabler-vendors.min.css"
licence "$src" "$stage" "$TABLER_PKG" "$TABLER_VER" dist/css/tabler.min.css
install_lib tabler "$TABLER_VER" "$stage"

# ---- 2. Tabler icons (selected outline SVGs only) ------------------------------
src="$(fetch "$ICONS_PKG" "$ICONS_VER" "$ICONS_SHA")"
stage="$(new_stage tabler-icons)"
missing=()
for icon in "${ICONS[@]}"; do
  if [[ -s "$src/icons/outline/$icon.svg" ]]; then
    cp "$src/icons/outline/$icon.svg" "$stage/$icon.svg"
  else
    missing+=("$icon")
  fi
done
if ((${#missing[@]})); then
  die "$ICONS_PKG@$ICONS_VER has no outline icon(s): ${missing[*]}"
fi
licence "$src" "$stage" "$ICONS_PKG" "$ICONS_VER"
install_lib tabler-icons "$ICONS_VER" "$stage"

# ---- 3. Chart.js (UMD build, exposes window.Chart) -----------------------------
src="$(fetch "$CHARTJS_PKG" "$CHARTJS_VER" "$CHARTJS_SHA")"
stage="$(new_stage chartjs)"
put_min "$src" dist/chart.umd.min.js "$stage"
licence "$src" "$stage" "$CHARTJS_PKG" "$CHARTJS_VER"
install_lib chartjs "$CHARTJS_VER" "$stage"

# ---- 4. signature_pad (UMD build, exposes window.SignaturePad) -----------------
src="$(fetch "$SIGPAD_PKG" "$SIGPAD_VER" "$SIGPAD_SHA")"
stage="$(new_stage signature_pad)"
put_min "$src" dist/signature_pad.umd.min.js "$stage"
licence "$src" "$stage" "$SIGPAD_PKG" "$SIGPAD_VER"
install_lib signature_pad "$SIGPAD_VER" "$stage"

# ---- 5. Tom Select (complete build + Bootstrap 5 theme) ------------------------
src="$(fetch "$TOMSELECT_PKG" "$TOMSELECT_VER" "$TOMSELECT_SHA")"
stage="$(new_stage tom-select)"
put_min "$src" dist/js/tom-select.complete.min.js "$stage"
put_min "$src" dist/css/tom-select.bootstrap5.min.css "$stage"
no_external_urls "$stage/tom-select.bootstrap5.min.css"
licence "$src" "$stage" "$TOMSELECT_PKG" "$TOMSELECT_VER"
install_lib tom-select "$TOMSELECT_VER" "$stage"

# ---- 5b. Dancing Script (the typed signature's font; drawn on the pad's canvas) -------
src="$(fetch "$SCRIPTFONT_PKG" "$SCRIPTFONT_VER" "$SCRIPTFONT_SHA")"
stage="$(new_stage dancing-script)"
put "$src" files/dancing-script-latin-400-normal.woff2 "$stage"
put "$src" LICENSE "$stage"
install_lib dancing-script "$SCRIPTFONT_VER" "$stage"

# ---- 6. axe-core (test asset: tests/browser/vendor/axe-core/, not static/) -----
# A fixed folder name, so tests/browser/conftest.py needs no change on a bump; the
# version is in VERSION. axe.min.js has no source map; it bundles MIT-licensed
# helpers, whose notices are in LICENSE-3RD-PARTY.txt.
src="$(fetch "$AXE_PKG" "$AXE_VER" "$AXE_SHA")"
stage="$(new_stage axe-core)"
put "$src" axe.min.js "$stage"
put "$src" LICENSE "$stage"
put "$src" LICENSE-3RD-PARTY.txt "$stage"
printf '%s@%s (npm, %s)\n' "$AXE_PKG" "$AXE_VER" "$AXE_SHA" > "$stage/VERSION"
rm -rf "$AXE_DIR"
mkdir -p "$(dirname "$AXE_DIR")"
mv "$stage" "$AXE_DIR"
echo "vendored $AXE_PKG-$AXE_VER into tests/browser/vendor/axe-core (test asset)"

# ---- VERSIONS.txt --------------------------------------------------------------
{
  printf '%s\t%s\t%s\n' tabler "$TABLER_PKG" "$TABLER_VER"
  printf '%s\t%s\t%s\n' tabler-icons "$ICONS_PKG" "$ICONS_VER"
  printf '%s\t%s\t%s\n' chartjs "$CHARTJS_PKG" "$CHARTJS_VER"
  printf '%s\t%s\t%s\n' signature_pad "$SIGPAD_PKG" "$SIGPAD_VER"
  printf '%s\t%s\t%s\n' tom-select "$TOMSELECT_PKG" "$TOMSELECT_VER"
  printf '%s\t%s\t%s\n' dancing-script "$SCRIPTFONT_PKG" "$SCRIPTFONT_VER"
} > "$VENDOR_DIR/VERSIONS.txt"
echo "wrote static/vendor/VERSIONS.txt"
