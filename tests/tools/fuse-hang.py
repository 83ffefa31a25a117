#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# fuse-hang.py MOUNTPOINT READS_FILE: a FUSE file system on /dev/fuse
# directly (Debian 12 has the kernel module but this machine no fuse
# userspace) with one file, "page" (4096 bytes), whose READ is never
# answered: whoever touches a mapping of it waits until the file system
# goes away. Each READ received is counted in READS_FILE. Runs until
# killed; the kernel unmounts nothing by itself: the caller runs umount -l.
import ctypes
import os
import stat
import struct
import sys

mnt, reads_file = sys.argv[1], sys.argv[2]
fd = os.open("/dev/fuse", os.O_RDWR)
libc = ctypes.CDLL(None, use_errno=True)
opts = b"fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other" % fd
if libc.mount(b"lgfuse", mnt.encode(), b"fuse", 0, opts) != 0:
    sys.exit("mount: %s" % os.strerror(ctypes.get_errno()))

IN_HDR = struct.Struct("<IIQQIIIHH")  # fuse_in_header, 40 bytes
OUT_HDR = struct.Struct("<IiQ")  # fuse_out_header, 16 bytes
ROOT, PAGE = 1, 2
reads = 0


def attr(node):
    mode = (stat.S_IFDIR | 0o755) if node == ROOT else (stat.S_IFREG | 0o444)
    size = 0 if node == ROOT else 4096
    # ino size blocks atime mtime ctime, 3 nsec, mode nlink uid gid rdev blksize flags
    return struct.pack("<QQQQQQIIIIIIIIII", node, size, size // 512, 0, 0, 0, 0, 0, 0,
                       mode, 1, 0, 0, 0, 4096, 0)


def reply(unique, payload=b"", error=0):
    os.write(fd, OUT_HDR.pack(OUT_HDR.size + len(payload), error, unique) + payload)


while True:
    try:
        req = os.read(fd, 1 << 17)
    except OSError:
        break  # unmounted
    _, op, unique, node, _, _, _, _, _ = IN_HDR.unpack_from(req)
    body = req[IN_HDR.size:]
    if op == 26:  # INIT: 7.31, nothing optional
        reply(unique, struct.pack("<IIIIHHIIHHI28x", 7, 31, 65536, 0, 16, 12, 65536, 1, 0, 0, 0))
    elif op == 1:  # LOOKUP
        if body.rstrip(b"\0") == b"page":
            reply(unique, struct.pack("<QQQQII", PAGE, 0, 60, 60, 0, 0) + attr(PAGE))
        else:
            reply(unique, error=-2)
    elif op == 3:  # GETATTR
        reply(unique, struct.pack("<QII", 60, 0, 0) + attr(node))
    elif op in (14, 27):  # OPEN, OPENDIR
        reply(unique, struct.pack("<QII", 0, 0, 0))
    elif op == 15:  # READ: never answered
        reads += 1
        with open(reads_file, "w") as f:
            f.write("%d\n" % reads)
    elif op in (25, 18, 29, 34):  # FLUSH, RELEASE, RELEASEDIR, ACCESS
        reply(unique)
    elif op in (36, 2):  # INTERRUPT, FORGET: no answer
        pass
    else:
        reply(unique, error=-38)  # ENOSYS
