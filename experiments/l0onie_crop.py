#!/usr/bin/env python3
"""Makes the bundled L0onie test images from scikit-image's `astronaut.png` (NASA, public domain).

Pure standard library (zlib + struct), so it needs neither numpy nor Pillow:

    pip download scikit-image==0.26.0 --no-deps -d /tmp/skimage
    cd /tmp/skimage && unzip -o -q scikit_image-0.26.0-*.whl skimage/data/astronaut.png
    python3 experiments/l0onie_crop.py /tmp/skimage/skimage/data/astronaut.png data/

Writes `astronaut_face_64.png` (the SIZE x SIZE square at (ROW, COL) averaged over FACTOR x FACTOR
blocks) as an 8-bit RGB PNG without ancillary chunks.
"""
import struct
import sys
import zlib

ROW, COL, SIZE = 24, 152, 192  # the face region of the 512x512 original
OUTPUTS = [("astronaut_face_64.png", 3)]  # (file name, box-average factor)


def read_png_rgb(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert (depth, color, interlace) == (8, 2, 0), "expects 8-bit RGB, not interlaced"
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, bpp, stride = zlib.decompress(idat), 3, width * 3
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], (prev[i - bpp] if i >= bpp else 0)
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 255
        rows.append(line)
        prev = line
    return width, height, rows


def write_png_rgb(path, width, height, rows):
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    raw = b"".join(b"\x00" + bytes(r) for r in rows)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    open(path, "wb").write(png)


def main():
    src, out_dir = sys.argv[1], sys.argv[2]
    _, _, rows = read_png_rgb(src)
    for name, k in OUTPUTS:
        n = SIZE // k
        out = []
        for y in range(n):
            line = bytearray()
            for x in range(n):
                for ch in range(3):
                    s = sum(rows[ROW + y * k + dy][3 * (COL + x * k + dx) + ch]
                            for dy in range(k) for dx in range(k))
                    line.append((s + k * k // 2) // (k * k))
            out.append(line)
        write_png_rgb(f"{out_dir}/{name}", n, n, out)
        print(f"{out_dir}/{name}: {n}x{n}")


if __name__ == "__main__":
    main()
