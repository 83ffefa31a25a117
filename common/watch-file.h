/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The watch table, <state_dir>/watch: how a login hands the deadline of
 * its wrapped call to guardd instead of starting a watchdog thread of its
 * own, which costs 100 to 200 us a call in a small VM (issue 13).
 *
 * guardd makes the file (mode 0600: nothing in it is for users), stamps a
 * heartbeat into it every WATCH_TICK_USEC and looks at the slots. It holds
 * a POSIX lock on the file's first byte, and publishes its pid as its own
 * pid namespace numbers it (when no outer one numbers it the same); F_GETLK
 * names the lock's holder to a login by its pid in the login's namespace
 * (0 from one below guardd's), so the two match only in guardd's own
 * namespace, without a look at /proc. A login
 * that runs as root, in guardd's pid namespace, claims a slot by
 * compare-and-swap of a word that carries its pid, fills in when it
 * claimed (CLOCK_BOOTTIME), its deadline, its sockets before the call and
 * the peers it may cut, and arms it. Only while the heartbeat is fresh
 * does the login rely on guardd; otherwise it withdraws and starts its own
 * thread, as before. guardd believes a slot's process only after the
 * kernel attests it: a pidfd for the word's pid, whose process started
 * (/proc/PID/stat) no later than the claim, still alive after that look. It
 * never reads a login's memory. At the deadline guardd judges the same
 * evidence the thread would and cuts the call's new sockets through
 * pidfd_getfd(), looking at descriptors below the login's limit only.
 * When the call returns the login ends the slot; a cut in progress is
 * waited for, bounded. A claimed slot is freed only once its claimer can
 * no longer run, so a login stopped between claim and arm writes into its
 * own slot when it wakes, never into another login's.
 *
 * No lock on the slots: each has a 64-bit word (state, generation, whether
 * a user's setuid login holds it, the claimer's pid) changed only by
 * compare-and-swap, so a process stopped at any point holds at most its own
 * slot. This is the only code that knows the layout, and it owns the
 * handoff from both sides: the login calls watch_begin() and
 * watch_finish(), guardd watch_pass_begin(), watch_pass_end(),
 * watch_returned() and watch_release().
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cut-filter.h"

#define WATCH_FILE_NAME "watch"
#define WATCH_FILE_MAGIC UINT64_C(0x315457474c6f6c00) /* "\0loLGWT1" */
/* Still 3 with guardd_pid and guardd_run where version 3 had pidns_ino: a
 * pid namespace's inode is at least 0xF0000000, a negative guardd_pid that
 * no login trusts, and a pid (below 2^22) never equals such an inode, so a
 * module and a guardd of the two releases never trust each other's header:
 * logins use their own thread, silently, while an upgrade runs (a new
 * version made 0.2.0's module log an error a login; test-rs-upgrade). */
#define WATCH_FILE_VERSION 3U
#define WATCH_SLOTS 128U
/* Slots that logins run by users (setuid su, sudo) may hold at once: a user
 * stopping many of them leaves the rest for root's logins. */
#define WATCH_USER_SLOTS 64U
#define WATCH_KEEP_MAX 16U /* more sockets before the call: the thread watches */
/* guardd looks at a login's descriptors below its limit, and never above
 * this (sshd, cron and su run with a limit of 1024): its work per look stays
 * bounded whatever a user leaves open above it. */
#define WATCH_FD_LIMIT_MAX 1024
#define WATCH_TICK_USEC (100U * UINT64_C(1000))
/* An older heartbeat: guardd is not watching (stopped, gone, starved). */
#define WATCH_FRESH_USEC (300U * UINT64_C(1000))
/* How far this boot's start by the wall clock may seem to move (NTP). */
#define WATCH_BOOT_SLACK_USEC (2U * UINT64_C(1000000))
/* Shorter deadlines go to the thread: guardd may see a slot a tick late. */
#define WATCH_MIN_DEADLINE_USEC (2U * WATCH_TICK_USEC)
/* How long a returning call waits for a cut guardd is making. */
#define WATCH_FINISH_WAIT_USEC (200U * UINT64_C(1000))

typedef enum WatchState {
        WATCH_FREE,
        WATCH_CLAIMED, /* a login is filling it in */
        WATCH_ARMED, /* the call runs, guardd watches */
        WATCH_CUTTING, /* guardd is judging or cutting it */
        _WATCH_STATE_MAX,
        _WATCH_STATE_INVALID = -EINVAL,
} WatchState;

/*
 * The slot word, 64 bits:
 *   bits 0-1   WatchState
 *   bit 2      held by a login whose real uid is not 0
 *   bits 8-31  generation, bumped by each claim: a stale compare-and-swap
 *              (a login whose slot was taken back) fails
 *   bits 32-63 the claimer's pid, set by the claim itself
 * The low 32 bits are what futex waits compare (watch_word_futex()).
 */
#define WATCH_USER_BIT 0x4U
#define WATCH_WORD(gen, user, state) \
        ((uint32_t) (gen) << 8 | ((user) ? WATCH_USER_BIT : 0U) | (uint32_t) (state))
#define WATCH_WORD_STATE(w) ((WatchState) ((w) &0x3U))
#define WATCH_WORD_USER(w) (((w) &WATCH_USER_BIT) != 0)
#define WATCH_WORD_GEN(w) ((uint32_t) ((w) &0xffffffffU) >> 8)
#define WATCH_WORD_PID(w) ((int32_t) (uint32_t) ((uint64_t) (w) >> 32))
#define WATCH_WORD_WITH_PID(low, pid) ((uint64_t) (uint32_t) (pid) << 32 | (uint32_t) (low))
#define WATCH_WORD_AS(w, state) (((w) & ~(__typeof__(w)) 0x3U) | (uint32_t) (state))

/* slot.ret: the slot's word with WATCH_RET_* in the state bits, once the
 * call returned (RETURNED) or its login stopped waiting (ABANDONED). */
#define WATCH_RET_RETURNED 1U
#define WATCH_RET_ABANDONED 2U

#define WATCH_F_EVIDENCE 0x1U /* judge logind's and PID 1's evidence (open_session) */

typedef struct WatchKeep {
        int32_t fd;
        uint32_t pad;
        uint64_t ino;
} WatchKeep;

typedef struct WatchSlot {
        /* the login's, written between claim and arm */
        uint32_t flags;
        uint32_t pad0;
        uint64_t claim_usec; /* CLOCK_BOOTTIME at the claim: its process started before */
        int64_t since_sec; /* CLOCK_REALTIME: older session files are not its */
        uint64_t deadline_usec; /* CLOCK_MONOTONIC, absolute */
        uint64_t patience_usec; /* CLOCK_MONOTONIC, absolute */
        uint32_t n_keep;
        uint32_t bus_len;
        /* guardd reads fds below this only (1..WATCH_FD_LIMIT_MAX): the call's new
         * sockets are there; the ones above were not looked at before it: never cut */
        int32_t fd_limit;
        uint32_t pad;
        WatchKeep keep[WATCH_KEEP_MAX]; /* sockets before the call: never cut */
        char bus[CUT_PATH_MAX];
        char devlog[CUT_PATH_MAX];
        /* the return handshake */
        uint32_t ret;
        /* guardd's, written while the slot is WATCH_CUTTING */
        uint32_t fired;
        uint32_t n_cut;
        uint32_t waited; /* GuardWait bits */
        uint32_t patience_over;
} WatchSlot;

/* guardd's verdict of its last round, as its status file says it, for
 * the module to read with no system call while guardd watches (it reads
 * the status file when guardd does not). A sequence count makes a torn
 * read visible: odd while guardd writes. */
#define WATCH_SERVICE_STATE_MAX 16U
typedef enum WatchService {
        WATCH_SERVICE_LOGIN1,
        WATCH_SERVICE_CONSOLEKIT,
        _WATCH_SERVICE_MAX,
} WatchService;

typedef struct WatchVerdict {
        uint32_t seq;
        uint32_t devlog_quiet; /* DEVLOG full or stuck: the module's logger keeps still */
        uint64_t written_usec; /* that status's WRITTEN_MONOTONIC_USEC */
        uint32_t skip[_WATCH_SERVICE_MAX]; /* <SERVICE>_ACTION=skip */
        char state[_WATCH_SERVICE_MAX][WATCH_SERVICE_STATE_MAX]; /* <SERVICE>=... */
        char status_path[512]; /* the file it was written to */
} WatchVerdict;

typedef struct WatchFile {
        uint64_t magic;
        uint32_t version;
        uint32_t size;
        uint8_t boot_id[16];
        uint64_t heartbeat_usec; /* CLOCK_MONOTONIC of guardd's last look; 0: not watching */
        /* CLOCK_REALTIME minus CLOCK_BOOTTIME at that look: when this boot began.
         * Logins compare it instead of reading the boot id (a file of another
         * boot whose heartbeat happens to match our uptime is not fresh). */
        int64_t boot_wall_usec;
        uint64_t armed_total; /* calls armed, ever (this boot) */
        /* guardd's pid in its own pid namespace, 0 when a login cannot tell
         * that namespace from another by it (watch_file_hold()); and which
         * guardd of this table's life wrote it. guardd holds a POSIX lock on
         * the table's first byte while it watches: a login compares its
         * holder, as the kernel names it to the login, with guardd_pid. */
        int32_t guardd_pid;
        uint32_t guardd_run;
        WatchVerdict verdict;
        uint64_t words[WATCH_SLOTS];
        WatchSlot slots[WATCH_SLOTS];
} WatchFile;

typedef struct WatchMap {
        WatchFile *file; /* MAP_SHARED, writable; NULL when not mapped */
        bool holds_fd; /* guardd's: fd stays open, for the lock */
        int fd;
        int32_t own_pid; /* guardd's: what it writes as guardd_pid (watch_own_pid()) */
        /* A login's: the lock's holder named in our pid namespace, read
         * when mapping (0: none, or one we cannot see), and guardd_run as
         * it was just before */
        int32_t holder;
        uint32_t holder_run;
} WatchMap;

/* What guardd did to a call, read when it returned. */
typedef struct WatchResult {
        bool fired;
        unsigned n_cut;
        unsigned waited;
        bool patience_over;
        bool exact; /* false: guardd was still cutting when the login gave up waiting */
} WatchResult;

int watch_file_check(const WatchFile *f, size_t len, const uint8_t boot_id[16]);
int watch_file_map(int dir_fd, uid_t owner, bool create, WatchMap *ret);
void watch_file_unmap(WatchMap *m);
int64_t watch_boot_wall_usec(void);
void watch_file_beat(WatchFile *f, uint64_t now);
int watch_file_hold(WatchMap *m);
int32_t watch_file_holder(int fd);
int watch_file_probe(int dir_fd, uid_t owner, int32_t *ret_holder);
int32_t watch_pid_unique(const char *status, int32_t pid);
int32_t watch_own_pid(void);
bool watch_file_fresh(const WatchFile *f, uint64_t now);
bool watch_slot_valid(const WatchSlot *s);
void watch_verdict_publish(WatchFile *f, const WatchVerdict *v);
bool watch_verdict_read(const WatchFile *f, WatchVerdict *ret);
int watch_service_from_key(const char *service_key);

/* What a login hands guardd with its call (watch_begin()). */
typedef struct WatchRequest {
        bool user; /* real uid not 0: counts against WATCH_USER_SLOTS */
        int32_t pid; /* getpid() */
        uint32_t flags; /* WATCH_F_* */
        int64_t since_sec; /* CLOCK_REALTIME: older session files are not its */
        uint64_t deadline_usec; /* CLOCK_MONOTONIC, absolute */
        uint64_t patience_usec; /* CLOCK_MONOTONIC, absolute */
        const WatchKeep *keep; /* its sockets before the call: never cut */
        uint32_t n_keep; /* <= WATCH_KEEP_MAX */
        int32_t fd_limit; /* 1..WATCH_FD_LIMIT_MAX */
        const CutFilter *filter; /* the peers guardd may cut */
} WatchRequest;

/* The login's side: watch_begin() before the call, watch_finish() after. */
int watch_begin(WatchFile *f, const WatchRequest *r, uint64_t *ret_word);
void watch_finish(WatchFile *f, unsigned slot, uint64_t armed, WatchResult *ret);
/* watch_begin()'s two steps, for tests that stop a login between them. */
int watch_claim(WatchFile *f, bool user, int32_t pid, unsigned hint, uint64_t *ret_word);
bool watch_arm(WatchFile *f, unsigned slot, uint64_t *word);

/* guardd's side. */
bool watch_pass_begin(WatchFile *f, unsigned slot, uint64_t armed);
void watch_pass_end(WatchFile *f, unsigned slot, uint64_t armed);
bool watch_release(WatchFile *f, unsigned slot, uint64_t word);
bool watch_returned(const WatchFile *f, unsigned slot, uint64_t armed, unsigned how);
