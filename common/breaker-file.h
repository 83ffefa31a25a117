/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The breaker file, one per wrapped module in state_dir
 * ("breaker-pam_systemd"): a small fixed-size binary record that every
 * login maps and updates with atomic operations only. No lock is ever
 * taken, so no process, stopped at any point, can hold the breaker still
 * for others. The record is bound to the boot it was made in (boot id):
 * monotonic time stamps from another boot mean nothing, so such a file
 * reads as absent. pam_loginguard drives the state machine
 * (pam_module/breaker.c); guardd reads the counters. This is the only code
 * that knows the layout.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BREAKER_FILE_MAGIC UINT64_C(0x315242474c6f6c00) /* "\0loLGBR1" */
#define BREAKER_FILE_VERSION 1U
#define BREAKER_BAD_SLOTS 64U /* >= the largest `trip` */
#define BREAKER_FILE_PREFIX "breaker-"
/* Per-user breakers live in this subdirectory of the state directory, one
 * record of the same format per user whose own logins were stuck:
 * "breaker-pam_systemd.u<16 hex digits of the user name's hash>". */
#define BREAKER_USERS_DIR "users"

typedef enum BreakerState {
        BREAKER_CLOSED,
        BREAKER_OPEN,
        BREAKER_HALF_OPEN,
        _BREAKER_STATE_MAX,
        _BREAKER_STATE_INVALID = -EINVAL,
} BreakerState;

/*
 * The state word, changed only by compare-and-swap:
 *   bits 0-1  BreakerState
 *   bits 2-5  how often the cooldown was doubled (failed trials)
 *   bits 6-63 a CLOCK_MONOTONIC stamp in usec: when it opened (open), when
 *             the trial was claimed (half-open), when it closed (closed)
 */
#define BREAKER_WORD(state, level, stamp) \
        ((uint64_t) (state) | ((uint64_t) (level) & 0xfU) << 2 | (uint64_t) (stamp) << 6)
#define BREAKER_WORD_STATE(w) ((BreakerState) ((w) & 0x3U))
#define BREAKER_WORD_LEVEL(w) ((unsigned) (((w) >> 2) & 0xfU))
#define BREAKER_WORD_STAMP(w) ((uint64_t) (w) >> 6)

typedef struct BreakerRecord {
        uint64_t magic;
        uint32_t version;
        uint32_t size;
        uint8_t boot_id[16];
        uint64_t word;
        uint64_t bad_next; /* next slot of bad[], modulo BREAKER_BAD_SLOTS */
        uint64_t bad[BREAKER_BAD_SLOTS]; /* stamps of recent cut calls */
        /* counters, only ever incremented */
        uint64_t skips; /* logins that skipped the wrapped module */
        uint64_t cuts; /* calls cut at the deadline or after patience */
        uint64_t late; /* calls that finished after the deadline, uncut */
        uint64_t fallbacks; /* skips + cuts: logins without the wrapped module */
        uint64_t trials;
        uint64_t opened; /* closed -> open transitions */
        uint64_t last_cut_usec; /* stamp of the last cut */
} BreakerRecord;

typedef struct BreakerMap {
        int fd;
        BreakerRecord *rec; /* MAP_SHARED, writable */
} BreakerMap;

int breaker_boot_id(uint8_t ret[16]);
void breaker_boot_id_from(const char *path);
void breaker_file_name(const char *target, char *buf, size_t size);
uint64_t breaker_user_hash(const char *user);
void breaker_user_file_name(const char *target, const char *user, char *buf, size_t size);
int breaker_users_dir_open(int state_dir_fd, uid_t owner, bool create);
/* Called for each trusted record of this boot in the users directory;
 * returns false to stop the walk. */
typedef bool (*BreakerUserFn)(int dir_fd, const char *name, const BreakerRecord *r, void *userdata);
void breaker_users_walk(int users_fd, const char *prefix, uid_t owner, BreakerUserFn fn,
                        void *userdata);
int breaker_record_check(const BreakerRecord *r, size_t len, const uint8_t boot_id[16]);
int breaker_file_read(int dir_fd, const char *name, uid_t owner, BreakerRecord *ret);
int breaker_file_map(int dir_fd, const char *name, uid_t owner, bool create, BreakerMap *ret);
void breaker_file_unmap(BreakerMap *m);
const char *breaker_state_to_string(BreakerState s);
int breaker_dir_open(const char *path, uid_t owner, bool create);
