/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Small I/O helpers that retry on EINTR and report -errno, plus the
 * "trusted file" reader that both the status file and the config file go
 * through, so the owner, mode, symlink and size checks live in one place.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Positive verdicts of read_trusted_file(): expected outcomes, not errors. */
enum {
        TRUST_OK = 0,
        TRUST_E_SYMLINK = 1,
        TRUST_E_NOT_REGULAR,
        TRUST_E_OWNER,
        TRUST_E_MODE,
        TRUST_E_OVERSIZE,
        _TRUST_E_MAX,
};

int loop_write(int fd, const void *buf, size_t len);
ssize_t read_full(int fd, void *buf, size_t len);
bool read_small_file(const char *path, char *buf, size_t size);
int read_trusted_file(int dir_fd, const char *path, uid_t owner, size_t max_size, char **ret_buf,
                      size_t *ret_size);
int read_trusted_file_into(int dir_fd, const char *path, uid_t owner, char *buf, size_t size,
                           size_t *ret_len);
const char *trust_strerror(int verdict);
uint64_t now_usec(int clock_id);
int dgram_connect(const char *path);
int write_file_atomic(int dir_fd, const char *path, const char *data, size_t len, mode_t mode,
                      bool sync);
