#!/usr/bin/env bash
# Renders a Mimeo HTML report to a PNG with headless Chromium, and checks the result:
#   1. the rendered DOM has the five report sections (scores, columns, correlations, privacy,
#      utility) and at least one SVG chart per column figure;
#   2. the page loads nothing from the network (no http(s) references, no external scripts);
#   3. the PNG is not blank (enough non-white pixels and distinct colours).
#
# Usage:
#   scripts/render_report.sh report.html [out.png] [width] [height]
#
# Defaults: out.png next to the report, a 1400 x 4000 window (doubled until the page fits; the
# PNG is then cut just below the end of the page). Installs Debian's `chromium` with
# apt-get when it is missing (as root). Exits non-zero, saying why, when a check fails.
#
# A report of real data, end to end:
#   swift build -c release --scratch-path .build-report --product mimeo
#   .build-report/release/mimeo train samples/adult-sample.csv -o /tmp/r.mimeo --max-time 20
#   .build-report/release/mimeo generate /tmp/r.mimeo -n 5000 -o /tmp/r.csv
#   .build-report/release/mimeo evaluate --real samples/adult-sample.csv --synthetic /tmp/r.csv \
#       --model /tmp/r.mimeo --html /tmp/r.html
#   scripts/render_report.sh /tmp/r.html /tmp/r.png
set -euo pipefail

if [[ $# -lt 1 || $# -gt 4 ]]; then
    sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi
html=$1
png=${2:-${html%.html}.png}
width=${3:-1400}
height=${4:-4000}
[[ -f $html ]] || { echo "no such file: $html" >&2; exit 2; }

browser=""
for candidate in chromium chromium-browser; do
    if command -v "$candidate" > /dev/null; then browser=$candidate; break; fi
done
if [[ -z $browser ]]; then
    if [[ $(id -u) -ne 0 ]]; then
        echo "chromium is not installed; run as root or: apt-get install chromium" >&2
        exit 1
    fi
    echo "installing chromium (apt-get)..." >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core > /dev/null
    browser=chromium
fi

html_path=$(realpath "$html")
png_path=$(realpath -m "$png")
profile=$(mktemp -d)
dom=$(mktemp)
trap 'rm -rf "$profile" "$dom"' EXIT
flags=(--headless --disable-gpu --no-sandbox --no-first-run --disable-extensions --hide-scrollbars
       --disable-background-networking --disable-sync --user-data-dir="$profile")

# 1 and 2: the source and the DOM Chromium builds from it.
# (Text such as a category spelled "http://x" is escaped data, not a reference: only attributes
# and CSS that load something count.)
external='<script|<link|<img|<iframe|<object|<embed|(src|href|xlink:href)="[^#"]|@import|url\('
if grep -qiE "$external" "$html"; then
    echo "FAIL: $html references external resources:" >&2
    grep -oiE ".{0,40}($external).{0,40}" "$html" | head -5 >&2
    exit 1
fi
"$browser" "${flags[@]}" --dump-dom "file://$html_path" > "$dom" 2> /dev/null
missing=()
for id in scores columns correlations privacy utility; do
    grep -q "<section id=\"$id\">" "$dom" || missing+=("$id")
done
if (( ${#missing[@]} )); then
    echo "FAIL: sections missing from the rendered page: ${missing[*]}" >&2
    exit 1
fi
figures=$(grep -o '<figure class="column"' "$dom" | wc -l)
svgs=$(grep -o '<svg' "$dom" | wc -l)
if (( figures == 0 || svgs < figures )); then
    echo "FAIL: $figures column figures but $svgs SVG charts" >&2
    exit 1
fi
echo "dom: 5 sections, $figures column charts, $svgs SVGs"

# 3: the screenshot. The window grows until the page fits (a run of background rows at the
# bottom), then the PNG is cut just below the page's end.
while :; do
    rm -f "$png_path"
    "$browser" "${flags[@]}" --screenshot="$png_path" --window-size="$width,$height" "file://$html_path" 2> /dev/null
    [[ -s $png_path ]] || { echo "FAIL: chromium wrote no screenshot" >&2; exit 1; }
    status=0
    last=$(( height >= 16000 ))
    python3 - "$png_path" "$last" << 'PY' || status=$?
import struct, sys, zlib

path, is_last_try = sys.argv[1], sys.argv[2] == "1"
data = open(path, "rb").read()
if data[:8] != b"\x89PNG\r\n\x1a\n":
    print(f"FAIL: {path} is not a PNG", file=sys.stderr)
    sys.exit(1)
pos, idat, header = 8, [], None
while pos < len(data):
    length, kind = struct.unpack(">I4s", data[pos:pos + 8])
    chunk = data[pos + 8:pos + 8 + length]
    if kind == b"IHDR":
        header = struct.unpack(">IIBBBBB", chunk)
    elif kind == b"IDAT":
        idat.append(chunk)
    pos += 12 + length
width, height, depth, color, _, _, interlace = header
channels = {2: 3, 6: 4}.get(color)
if depth != 8 or channels is None or interlace != 0:
    print(f"FAIL: unexpected PNG format (depth {depth}, colour type {color}, interlace {interlace})", file=sys.stderr)
    sys.exit(1)
raw = zlib.decompress(b"".join(idat))
stride = width * channels

try:
    import numpy as np
except ImportError:
    np = None

# Undo the per-row filters (PNG spec section 9); Sub and Up are vectorised when numpy is there.
rows = []
previous = bytearray(stride)
for y in range(height):
    start = y * (stride + 1)
    kind = raw[start]
    row = bytearray(raw[start + 1:start + 1 + stride])
    if kind == 1 and np is not None:
        a = np.frombuffer(bytes(row), dtype=np.uint8).reshape(width, channels).astype(np.uint32)
        row = bytearray((np.cumsum(a, axis=0) % 256).astype(np.uint8).tobytes())
    elif kind == 2 and np is not None:
        row = bytearray(((np.frombuffer(bytes(row), np.uint8).astype(np.uint16)
                          + np.frombuffer(bytes(previous), np.uint8)) % 256).astype(np.uint8).tobytes())
    elif kind != 0:
        for i in range(stride):
            left = row[i - channels] if i >= channels else 0
            up = previous[i]
            if kind == 1:
                row[i] = (row[i] + left) & 255
            elif kind == 2:
                row[i] = (row[i] + up) & 255
            elif kind == 3:
                row[i] = (row[i] + ((left + up) >> 1)) & 255
            elif kind == 4:
                corner = previous[i - channels] if i >= channels else 0
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                row[i] = (row[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
    rows.append(row)
    previous = row

# Where the page ends: the last row that is not one flat background colour.
background = bytes(rows[-1][:channels])
flat = background * width
bottom = height
while bottom > 0 and bytes(rows[bottom - 1]) == flat:
    bottom -= 1
if height - bottom < 100 and not is_last_try:
    sys.exit(3)  # the page may go on below the window
height = min(height, bottom + 32)
rows = rows[:height]

nonwhite = 0
colours = set()
for y in range(0, height, 2):  # every other row and column is plenty for the statistics
    row = rows[y]
    for x in range(0, width, 2):
        i = x * channels
        pixel = bytes(row[i:i + 3])
        colours.add(pixel)
        if min(pixel) < 235:
            nonwhite += 1
sampled = ((height + 1) // 2) * ((width + 1) // 2)
share = nonwhite / max(sampled, 1)

def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, color, 0, 0, 0))
       + chunk(b"IDAT", zlib.compress(b"".join(b"\x00" + bytes(r) for r in rows), 9)) + chunk(b"IEND", b""))
open(path, "wb").write(png)
print(f"png: {width}x{height}, {len(colours)} distinct colours, {share:.1%} non-white pixels -> {path}")
if len(colours) < 50 or share < 0.02:
    print("FAIL: the screenshot looks blank", file=sys.stderr)
    sys.exit(1)
PY
    if (( status == 3 )); then
        height=$(( height * 2 ))
        echo "page taller than the window: trying height $height"
        continue
    fi
    (( status == 0 )) || exit "$status"
    break
done
