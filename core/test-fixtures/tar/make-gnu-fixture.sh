#!/bin/sh
# Writes gnu-longname.tar, the GNU tar fixture read by core/src/io/tar-read.test.ts: a batch as
# GNU tar 1.34 writes it (--format=gnu), with a directory entry, a file whose path is longer than
# the 100-byte name field (so it is stored through a GNU 'L' long-name header), a short file, and
# a macOS AppleDouble file that readTar must skip. Deterministic: fixed mtime, owner and order.
#
# Run from anywhere: sh core/test-fixtures/tar/make-gnu-fixture.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

long=batch/a-directory-name-long-enough-to-need-the-gnu-long-name-extension/lens-000123-hst-f814w-cutout.npy
mkdir -p "$work/$(dirname "$long")"
cp "$here/../npy/shape-hw.npy" "$work/$long"   # a real 5x7 float32 cutout (268 bytes)
printf 'hello tar\n' > "$work/batch/notes.txt"
printf 'apple double' > "$work/batch/._notes.txt"

tar --format=gnu --blocking-factor=1 --sort=name --mtime=2024-01-01T00:00:00Z \
  --owner=0 --group=0 --numeric-owner --mode=u+rw,go+r \
  -C "$work" -cf "$here/gnu-longname.tar" batch
