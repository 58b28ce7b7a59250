#!/usr/bin/env python3
"""Figures of a PNG screenshot, for tests that check what a browser drew.

    png_check.py PNG [--region NAME=X,Y,W,H]... [--blue-over-red N]

Prints one JSON object: width, height, distinct_colours, background (the
most common colour, "#rrggbb"), background_luminance (0-255, Rec. 709),
non_background_pct (the share of pixels of another colour) and, for each
--region (a rectangle in image pixels, clipped to the image), its pixel
count and how many of its pixels are "bluish": blue exceeds red by N or
more (default 60). The report's light-scheme line colour #1f6feb, and its
antialiased edges over the card background, are bluish; its text, grid,
badge and warning colours are not.

Standard library only (no PIL): decodes 8-bit RGB or RGBA, non-interlaced
PNGs, all five filter types, which is what Chromium's --screenshot writes.
The alpha channel is ignored (screenshots are opaque). Exits 2, with one
line on stderr, on a file it cannot read.
"""
import argparse
import collections
import itertools
import json
import struct
import sys
import zlib

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {2: 3, 6: 4}  # colour type -> bytes per pixel at bit depth 8


class PngError(Exception):
    pass


def read_chunks(data):
    """Yields (type, body) for each chunk, checking lengths and CRCs."""
    if not data.startswith(SIGNATURE):
        raise PngError("not a PNG (bad signature)")
    pos = len(SIGNATURE)
    while pos < len(data):
        if pos + 8 > len(data):
            raise PngError("truncated chunk header")
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        crc = data[pos + 8 + length:pos + 12 + length]
        if len(body) != length or len(crc) != 4:
            raise PngError(f"truncated {kind.decode('latin-1')} chunk")
        if zlib.crc32(kind + body) != struct.unpack(">I", crc)[0]:
            raise PngError(f"bad CRC in {kind.decode('latin-1')} chunk")
        yield kind, body
        pos += 12 + length
        if kind == b"IEND":
            return
    raise PngError("no IEND chunk")


def average(raw, up):
    """One channel of an Average row: each byte plus the mean of its left
    (just decoded) and up neighbours."""
    out, left = bytearray(), 0
    for x, b in zip(raw, up):
        left = (x + ((left + b) >> 1)) & 255
        out.append(left)
    return out


def paeth(raw, up):
    """One channel of a Paeth row: each byte plus whichever of left (a), up
    (b) and up-left (c) is nearest to a + b - c, ties in that order."""
    out, a, c = bytearray(), 0, 0
    for x, b in zip(raw, up):
        pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - c - c)
        a = (x + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out.append(a)
        c = b
    return out


def unfilter(raw, width, height, bpp):
    """Undoes the per-row filters; returns a list of rows of bytes.

    Pure Python walks a 1200x2000 screenshot byte by byte only where it must
    (Average and Paeth depend on the byte just decoded); None, Sub and Up,
    most of Chromium's rows, run at C speed."""
    stride = width * bpp
    if len(raw) != height * (stride + 1):
        raise PngError(f"image data is {len(raw)} bytes, expected {height * (stride + 1)}")
    # Up, byte-wise addition mod 256 of whole rows as big integers: the low
    # 7 bits add without carrying into the next byte; the top bit is the
    # XOR of both top bits and the carry into it.
    low = int.from_bytes(b"\x7f" * stride, "little")
    high = int.from_bytes(b"\x80" * stride, "little")
    mask = (255).__and__
    rows = []
    prev = bytes(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        line = bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:  # Sub: a running sum along each channel
            for c in range(bpp):
                line[c::bpp] = bytes(map(mask, itertools.accumulate(line[c::bpp])))
        elif kind == 2:  # Up
            a, b = int.from_bytes(line, "little"), int.from_bytes(prev, "little")
            line = bytearray((((a & low) + (b & low)) ^ ((a ^ b) & high)).to_bytes(stride, "little"))
        elif kind == 3:  # Average of left and up
            for c in range(bpp):
                line[c::bpp] = average(line[c::bpp], prev[c::bpp])
        elif kind == 4:  # Paeth: left, up or up-left, whichever is nearest to left + up - up-left
            for c in range(bpp):
                line[c::bpp] = paeth(line[c::bpp], prev[c::bpp])
        elif kind != 0:
            raise PngError(f"row {y} has unknown filter type {kind}")
        rows.append(bytes(line))
        prev = line
    return rows


def decode(path):
    """Returns (width, height, bytes per pixel, rows)."""
    with open(path, "rb") as f:
        data = f.read()
    header, idat = None, []
    for kind, body in read_chunks(data):
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
    if header is None:
        raise PngError("no IHDR chunk")
    width, height, depth, colour, _compression, _filter, interlace = header
    if depth != 8 or colour not in CHANNELS or interlace != 0:
        raise PngError(f"unsupported: bit depth {depth}, colour type {colour}, interlace {interlace}"
                       " (only 8-bit RGB or RGBA, non-interlaced)")
    try:
        raw = zlib.decompress(b"".join(idat))
    except zlib.error as e:
        raise PngError(f"bad image data: {e}") from e
    bpp = CHANNELS[colour]
    return width, height, bpp, unfilter(raw, width, height, bpp)


def pixels(row, bpp, x0=0, x1=None):
    """The (r, g, b) tuples of row from pixel x0 to x1 (exclusive)."""
    x1 = len(row) // bpp if x1 is None else x1
    part = row[x0 * bpp:x1 * bpp]
    return zip(part[0::bpp], part[1::bpp], part[2::bpp])


def region(rows, width, height, bpp, rect, margin):
    x, y, w, h = rect
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(width, x + w), min(height, y + h)
    count = bluish = 0
    for row in rows[y0:y1] if x1 > x0 else []:
        for r, _g, b in pixels(row, bpp, x0, x1):
            bluish += b - r >= margin
        count += x1 - x0
    return {"rect": [x0, y0, max(0, x1 - x0), max(0, y1 - y0)], "pixels": count, "bluish": bluish}


def parse_region(text):
    name, sep, numbers = text.partition("=")
    values = numbers.split(",")
    if not sep or not name or len(values) != 4:
        raise argparse.ArgumentTypeError(f"expected NAME=X,Y,W,H, got '{text}'")
    try:
        return name, [round(float(v)) for v in values]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers in '{text}'") from None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("png")
    parser.add_argument("--region", action="append", type=parse_region, default=[],
                        metavar="NAME=X,Y,W,H")
    parser.add_argument("--blue-over-red", type=int, default=60, metavar="N")
    args = parser.parse_args()
    try:
        width, height, bpp, rows = decode(args.png)
    except (OSError, PngError) as e:
        print(f"png_check: {args.png}: {e}", file=sys.stderr)
        return 2
    # Screenshots repeat whole rows (margins, flat backgrounds): each
    # distinct row is counted once.
    colours = collections.Counter()
    for row, times in collections.Counter(rows).items():
        colours.update({colour: n * times for colour, n in collections.Counter(pixels(row, bpp)).items()})
    (background, count), = colours.most_common(1)
    r, g, b = background
    result = {
        "width": width,
        "height": height,
        "distinct_colours": len(colours),
        "background": "#%02x%02x%02x" % background,
        "background_luminance": round(0.2126 * r + 0.7152 * g + 0.0722 * b, 1),
        "non_background_pct": round(100 * (1 - count / (width * height)), 2),
        "regions": {name: region(rows, width, height, bpp, rect, args.blue_over_red)
                    for name, rect in args.region},
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
