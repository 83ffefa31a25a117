/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Writes and reads status files with common/status.c, for tests:
 *   status-tool write PATH [--age-ms N] KEY=VALUE...   (adds FORMAT and timestamps)
 *   status-tool read PATH [--max-age-ms N] [--owner UID]
 *   status-tool breaker PATH                           (a breaker file, as KEY=VALUE)
 *   status-tool breaker-forge PATH open|closed         (a record of another boot)
 *   status-tool watch PATH                             (guardd's watch table, as lines)
 *   status-tool watch-lock PATH        (hold guardd's lock on the table, as another guardd)
 *   status-tool watch-forge PATH PID   (arm a slot naming PID, claimed before it started)
 *   status-tool watch-hold PATH MODE NFDS   (a login that attacks the table, see there)
 *   status-tool watch-catch PATH PID   (stop PID between its claim and its arm, see there)
 *   status-tool devlog-fuse-writer SOCK FILE  (a writer whose address is FUSE's, see there)
 * `read` prints the keys, or "verdict=..." and exits 1 when rejected; `breaker` prints
 * "verdict=absent" (missing or another boot's) and exits 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "breaker-file.h"
#include "io-util.h"
#include "macro.h"
#include "parse-util.h"
#include "status.h"
#include "watch-file.h"

static int cmd_write(int argc, char **argv) {
        _cleanup_(status_freep) Status *s = NULL;
        uint64_t age = 0, now = now_usec(CLOCK_MONOTONIC);
        int i = 0, r;

        if (argc > 1 && strcmp(argv[0], "--age-ms") == 0) {
                if (parse_u64(argv[1], &age) < 0)
                        return 2;
                i = 2;
        }
        if (status_new(&s) < 0)
                return 1;
        (void) status_set_u64(s, "WRITTEN_MONOTONIC_USEC", now - MIN(now, age * USEC_PER_MSEC));
        (void) status_set_u64(s, "WRITTEN_REALTIME_USEC", now_usec(CLOCK_REALTIME));
        for (; i < argc; i++) {
                char *eq = strchr(argv[i], '=');
                if (!eq)
                        return 2;
                *eq = '\0';
                if (status_set(s, argv[i], eq + 1) < 0)
                        return 2;
        }
        r = status_write(s, argv[-1]);
        if (r < 0) {
                fprintf(stderr, "status-tool: %s: %s\n", argv[-1], strerror(-r));
                return 1;
        }
        return 0;
}

static int cmd_read(const char *path, int argc, char **argv) {
        _cleanup_(status_freep) Status *s = NULL;
        uint64_t max_age = 5000, owner = getuid();
        unsigned line = 0;
        int r;

        for (int i = 0; i + 1 < argc; i += 2) {
                if (strcmp(argv[i], "--max-age-ms") == 0 && parse_u64(argv[i + 1], &max_age) == 0)
                        continue;
                if (strcmp(argv[i], "--owner") == 0 && parse_u64(argv[i + 1], &owner) == 0)
                        continue;
                return 2;
        }
        r = status_read(path, (uid_t) owner, &s, &line);
        if (r == 0)
                r = status_check_fresh(s, now_usec(CLOCK_MONOTONIC), max_age * USEC_PER_MSEC, NULL);
        if (r < 0) {
                printf("verdict=error %s\n", strerror(-r));
                return 1;
        }
        if (r > 0) {
                printf("verdict=%s line=%u\n", status_strerror(r), line);
                return 1;
        }
        for (size_t i = 0; i < status_count(s); i++)
                printf("%s=%s\n", status_key_at(s, i), status_value_at(s, i));
        return 0;
}

static int cmd_breaker(const char *path) {
        char dir[512], base[256];
        BreakerRecord rec;
        unsigned bad = 0;
        int fd, r;

        (void) snprintf(dir, sizeof(dir), "%s", path);
        (void) snprintf(base, sizeof(base), "%s", basename(dir));
        (void) snprintf(dir, sizeof(dir), "%s", path);
        fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return 1;
        r = breaker_file_read(fd, base, getuid(), &rec);
        (void) close(fd);
        if (r == -ENOENT || r == -ESTALE) {
                printf("verdict=absent\n");
                return 1;
        }
        if (r < 0) {
                printf("verdict=error %s\n", strerror(-r));
                return 1;
        }
        for (unsigned i = 0; i < BREAKER_BAD_SLOTS; i++)
                bad += rec.bad[i] != 0;
        printf("STATE=%s\nLEVEL=%u\nSTAMP_USEC=%llu\nSKIPS=%llu\nCUTS=%llu\nLATE=%llu\n"
               "FALLBACKS=%llu\nTRIALS=%llu\nOPENED=%llu\nBAD=%u\n",
               breaker_state_to_string(BREAKER_WORD_STATE(rec.word)), BREAKER_WORD_LEVEL(rec.word),
               (unsigned long long) BREAKER_WORD_STAMP(rec.word), (unsigned long long) rec.skips,
               (unsigned long long) rec.cuts, (unsigned long long) rec.late,
               (unsigned long long) rec.fallbacks, (unsigned long long) rec.trials,
               (unsigned long long) rec.opened, bad);
        return 0;
}

/* What a breaker file left on persistent storage by a previous boot looks
 * like: valid, open, stamped with another boot id. */
static int cmd_breaker_forge(const char *path, const char *state) {
        BreakerRecord r = {
                .magic = BREAKER_FILE_MAGIC,
                .version = BREAKER_FILE_VERSION,
                .size = sizeof(BreakerRecord),
                .word = BREAKER_WORD(strcmp(state, "open") == 0 ? BREAKER_OPEN : BREAKER_CLOSED, 4,
                                     now_usec(CLOCK_MONOTONIC)),
        };
        FILE *f = fopen(path, "we");

        memset(r.boot_id, 0xab, sizeof(r.boot_id));
        if (!f || fwrite(&r, sizeof(r), 1, f) != 1)
                return 1;
        return fclose(f) == 0 ? 0 : 1;
}

static int map_watch(const char *path, WatchMap *ret) {
        char dir[512];
        int fd, r;

        (void) snprintf(dir, sizeof(dir), "%s", path);
        fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = watch_file_map(fd, getuid(), false, ret);
        (void) close(fd);
        return r;
}

static const char *watch_state_name(WatchState s) {
        static const char *const names[_WATCH_STATE_MAX] = {
                [WATCH_FREE] = "free",
                [WATCH_CLAIMED] = "claimed",
                [WATCH_ARMED] = "armed",
                [WATCH_CUTTING] = "cutting",
        };
        return names[s];
}

/* HEARTBEAT_AGE_MS, ARMED_TOTAL, then "slot=N state=S pid=P user=U" a slot in use. */
static int cmd_watch(const char *path) {
        uint64_t now = now_usec(CLOCK_MONOTONIC), hb;
        WatchMap m = {};
        int r = map_watch(path, &m);

        if (r < 0) {
                printf("verdict=error %s\n", strerror(-r));
                return 1;
        }
        hb = m.file->heartbeat_usec;
        printf("HEARTBEAT_AGE_MS=%lld\nFRESH=%d\nARMED_TOTAL=%llu\nGUARDD_PID=%d\nHOLDER=%d\n",
               hb ? (long long) (now - MIN(hb, now)) / 1000 : -1, watch_file_fresh(m.file, now),
               (unsigned long long) m.file->armed_total, (int) m.file->guardd_pid, (int) m.holder);
        for (unsigned i = 0; i < WATCH_SLOTS; i++) {
                uint64_t w = m.file->words[i];

                if (WATCH_WORD_STATE(w) != WATCH_FREE)
                        printf("slot=%u state=%s pid=%d user=%d\n", i,
                               watch_state_name(WATCH_WORD_STATE(w)), (int) WATCH_WORD_PID(w),
                               WATCH_WORD_USER(w));
        }
        watch_file_unmap(&m);
        return 0;
}

/* Another process holding the lock guardd takes on its table (a second
 * guardd with the same state_dir): prints "locked" once it holds it, and
 * keeps it until killed. */
static int cmd_watch_lock(const char *path) {
        struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
        int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);

        if (fd < 0 || fcntl(fd, F_SETLK, &fl) < 0) {
                fprintf(stderr, "status-tool: %s: %m\n", path);
                return 1;
        }
        printf("locked\n");
        (void) fflush(stdout);
        for (;;)
                (void) pause();
}

/* What a login whose pid was reused leaves behind: a slot naming PID, due at
 * once, claimed before PID's process started (its claimer died, and PID
 * went to another process). guardd must not cut that process's sockets. */
static int cmd_watch_forge(const char *path, const char *pid_text) {
        uint64_t pid = 0, now = now_usec(CLOCK_MONOTONIC);
        uint64_t word;
        WatchMap m = {};
        WatchSlot *s;
        int slot, r;

        if (parse_u64(pid_text, &pid) < 0 || pid == 0 || pid > INT32_MAX)
                return 2;
        r = map_watch(path, &m);
        if (r < 0)
                return 1;
        slot = watch_claim(m.file, false, (int32_t) pid, 0, &word);
        if (slot < 0)
                return 1;
        s = &m.file->slots[slot];
        *s = (WatchSlot){ .claim_usec = 1, /* just after boot: before PID started */
                          .fd_limit = WATCH_FD_LIMIT_MAX,
                          .since_sec = (int64_t) time(NULL),
                          .deadline_usec = now,
                          .patience_usec = now };
        (void) snprintf(s->bus, sizeof(s->bus), "/run/dbus/system_bus_socket");
        s->bus_len = (uint32_t) strlen(s->bus);
        r = watch_arm(m.file, (unsigned) slot, &word) ? 0 : 1;
        printf("slot=%d\n", slot);
        watch_file_unmap(&m);
        return r;
}

static char proc_state(pid_t pid) {
        char path[64], buf[512], *p;
        FILE *f;

        (void) snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return 0;
        p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
        (void) fclose(f);
        return p && p[1] == ' ' ? p[2] : 0;
}

/* The state of the slot whose word names @pid: WATCH_FREE when none. */
static WatchState slot_of(const WatchFile *f, pid_t pid) {
        for (unsigned i = 0; i < WATCH_SLOTS; i++) {
                uint64_t w = __atomic_load_n(&f->words[i], __ATOMIC_ACQUIRE);

                if (WATCH_WORD_STATE(w) != WATCH_FREE && WATCH_WORD_PID(w) == pid)
                        return WATCH_WORD_STATE(w);
        }
        return WATCH_FREE;
}

/* The catcher and the su share one CPU and the catcher is real-time: the
 * su runs only while the catcher sleeps, and the catcher's wake-up preempts
 * it at once. Otherwise, beside a busy loop per core, the su gets a whole
 * time slice whenever the catcher waits for a CPU and goes from claim to arm
 * unwatched (0 caught in 150 tries). Best effort: without the rights the
 * race is only less often won. */
static void share_cpu_with(pid_t pid) {
        struct sched_param sp = { .sched_priority = 1 };
        int cpu = sched_getcpu();
        cpu_set_t set;

        if (cpu < 0)
                return;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        (void) sched_setaffinity(0, sizeof(set), &set);
        (void) sched_setaffinity(pid, sizeof(set), &set);
        (void) sched_setscheduler(0, SCHED_FIFO, &sp);
}

/*
 * A user's race against their own su: stop it, look at its slot, continue
 * it, again and again, until it is caught stopped between claiming a slot
 * and arming it ("caught", left stopped, exit 0), or it armed or exited
 * first ("missed", exit 1). What issue 24's finding 1 did by hand.
 */
static int cmd_watch_catch(const char *path, const char *pid_text) {
        uint64_t pid = 0;
        WatchMap m = {};
        int r = 1;

        if (parse_u64(pid_text, &pid) < 0 || pid == 0 || pid > INT32_MAX)
                return 2;
        if (map_watch(path, &m) < 0)
                return 1;
        srandom((unsigned) now_usec(CLOCK_MONOTONIC));
        share_cpu_with((pid_t) pid);
        for (;;) {
                WatchState st;
                char c;

                if (kill((pid_t) pid, SIGSTOP) < 0)
                        break;
                /* Sleeping, not spinning: the su must run to stop. */
                while ((c = proc_state((pid_t) pid)) != 0 && c != 'T' && c != 't' && c != 'Z')
                        (void) usleep(10);
                if (c == 0 || c == 'Z')
                        break;
                st = slot_of(m.file, (pid_t) pid);
                if (st == WATCH_CLAIMED) {
                        r = 0;
                        break;
                }
                (void) kill((pid_t) pid, SIGCONT);
                if (st == WATCH_ARMED || st == WATCH_CUTTING)
                        break;
                /* Let it run a random while (up to 200 us): stopping it at
                 * once again would keep it from getting anywhere. */
                (void) usleep((useconds_t) (random() % 200));
        }
        printf("%s\n", r == 0 ? "caught" : "missed");
        watch_file_unmap(&m);
        return r;
}

/* Descriptors @n above the usual limit of 1024, then the soft limit back
 * at 1024: what a user's su can inherit. */
static int hold_fds(unsigned n) {
        struct rlimit rl;
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

        if (fd < 0 || getrlimit(RLIMIT_NOFILE, &rl) < 0)
                return -1;
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_max < 1100 + (rlim_t) n)
                return -1;
        for (unsigned i = 0; i < n; i++)
                if (dup3(fd, (int) (1100 + i), O_CLOEXEC) < 0)
                        return -1;
        rl.rlim_cur = 1024;
        return setrlimit(RLIMIT_NOFILE, &rl);
}

/*
 * A login that attacks the watch table, as a user's su stopped at the
 * worst moment would:
 *   claim: claims a slot, prints "slot=N", stops itself (SIGSTOP); when
 *          continued, fills it in and arms it as a login would, prints
 *          "armed=1" or "armed=0" (taken back meanwhile) and exits;
 *   armed: holds NFDS descriptors above 1024, claims and arms a slot due at
 *          once, prints "slot=N" and stops itself until killed.
 */
static int cmd_watch_hold(const char *path, const char *mode, const char *nfds) {
        uint64_t n = 0, now = now_usec(CLOCK_MONOTONIC), claim = now_usec(CLOCK_BOOTTIME), word;
        bool stop_first = strcmp(mode, "claim") == 0;
        WatchMap m = {};
        WatchSlot *s;
        int slot;

        if ((!stop_first && strcmp(mode, "armed") != 0) || parse_u64(nfds, &n) < 0 || n > 1000000)
                return 2;
        if (n > 0 && hold_fds((unsigned) n) < 0)
                return 1;
        if (map_watch(path, &m) < 0)
                return 1;
        slot = watch_claim(m.file, true, (int32_t) getpid(), 0, &word);
        if (slot < 0)
                return 1;
        printf("slot=%d\n", slot);
        (void) fflush(stdout);
        if (stop_first)
                (void) raise(SIGSTOP);
        s = &m.file->slots[slot];
        *s = (WatchSlot){ .claim_usec = claim,
                          .fd_limit = 1024,
                          .since_sec = (int64_t) time(NULL),
                          .deadline_usec = now,
                          .patience_usec = now + 60 * USEC_PER_SEC };
        (void) snprintf(s->bus, sizeof(s->bus), "/nonexistent");
        s->bus_len = (uint32_t) strlen(s->bus);
        printf("armed=%d\n", watch_arm(m.file, (unsigned) slot, &word));
        (void) fflush(stdout);
        if (!stop_first)
                for (;;)
                        (void) raise(SIGSTOP);
        return 0;
}

typedef struct FuseWriter {
        int fd;
        const struct sockaddr_un *addr;
        pid_t tid;
} FuseWriter;

static void *send_until_blocked(void *p) {
        FuseWriter *w = p;

        __atomic_store_n(&w->tid, (pid_t) syscall(SYS_gettid), __ATOMIC_RELEASE);
        for (unsigned i = 0;; i++) {
                char msg[64];
                int n = snprintf(msg, sizeof(msg), "<13>lgtest: fuse-%u", i);

                if (sendto(w->fd, msg, (size_t) n, 0, (const struct sockaddr *) w->addr,
                           sizeof(*w->addr)) < 0 &&
                    errno != EINTR)
                        return NULL;
        }
}

/* Whether thread @tid sleeps in sendto() (its /proc syscall line). */
static bool in_sendto(pid_t tid) {
        char path[64], buf[64] = "";
        _cleanup_close_ int fd = -EBADF;

        (void) snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int) tid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || read(fd, buf, sizeof(buf) - 1) <= 0)
                return false;
        return strncmp(buf, "44 ", 3) == 0;
}

/* devlog-fuse-writer SOCK FILE: issue 24's FUSE attack on the /dev/log
 * census. A thread sends datagrams to SOCK, unconnected, from an address
 * in a page of our own, until it sleeps in sendto() (the reader's queue is
 * full). Then that page is replaced by a mapping of FILE, a FUSE file whose
 * reads are never answered: whoever reads the sleeping call's address from
 * our memory (process_vm_readv, /proc/PID/mem) waits for FUSE forever.
 * Prints "page=ADDRESS" and waits until killed. */
static int cmd_devlog_fuse_writer(const char *sock, const char *file) {
        long page = sysconf(_SC_PAGESIZE);
        struct sockaddr_un *a;
        FuseWriter w = {};
        pthread_t t;
        unsigned asleep = 0;
        int ffd;

        a = mmap(NULL, (size_t) page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (a == MAP_FAILED || strlen(sock) >= sizeof(a->sun_path))
                return 1;
        a->sun_family = AF_UNIX;
        memcpy(a->sun_path, sock, strlen(sock) + 1);
        w = (FuseWriter){ .fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), .addr = a };
        if (w.fd < 0 || pthread_create(&t, NULL, send_until_blocked, &w) != 0)
                return 1;
        for (unsigned i = 0; i < 600 && asleep < 5; i++) {
                pid_t tid = __atomic_load_n(&w.tid, __ATOMIC_ACQUIRE);

                asleep = tid > 0 && in_sendto(tid) ? asleep + 1 : 0;
                (void) usleep(100000);
        }
        if (asleep < 5)
                return 1;
        ffd = open(file, O_RDONLY | O_CLOEXEC);
        if (ffd < 0 ||
            mmap(a, (size_t) page, PROT_READ, MAP_SHARED | MAP_FIXED, ffd, 0) == MAP_FAILED)
                return 1;
        printf("page=%lx\n", (unsigned long) a);
        (void) fflush(stdout);
        for (;;)
                (void) pause();
}

int main(int argc, char **argv) {
        if (argc == 4 && strcmp(argv[1], "devlog-fuse-writer") == 0)
                return cmd_devlog_fuse_writer(argv[2], argv[3]);
        if (argc == 5 && strcmp(argv[1], "watch-hold") == 0)
                return cmd_watch_hold(argv[2], argv[3], argv[4]);
        if (argc == 3 && strcmp(argv[1], "watch-lock") == 0)
                return cmd_watch_lock(argv[2]);
        if (argc == 3 && strcmp(argv[1], "watch") == 0)
                return cmd_watch(argv[2]);
        if (argc == 4 && strcmp(argv[1], "watch-catch") == 0)
                return cmd_watch_catch(argv[2], argv[3]);
        if (argc == 4 && strcmp(argv[1], "watch-forge") == 0)
                return cmd_watch_forge(argv[2], argv[3]);
        if (argc == 4 && strcmp(argv[1], "breaker-forge") == 0)
                return cmd_breaker_forge(argv[2], argv[3]);
        if (argc == 3 && strcmp(argv[1], "breaker") == 0)
                return cmd_breaker(argv[2]);
        if (argc >= 3 && strcmp(argv[1], "write") == 0)
                return cmd_write(argc - 3, argv + 3);
        if (argc >= 3 && strcmp(argv[1], "read") == 0)
                return cmd_read(argv[2], argc - 3, argv + 3);
        fprintf(stderr, "usage: status-tool write PATH [--age-ms N] KEY=VALUE...\n"
                        "       status-tool read PATH [--max-age-ms N] [--owner UID]\n"
                        "       status-tool breaker PATH\n"
                        "       status-tool watch PATH\n"
                        "       status-tool watch-forge PATH PID\n");
        return 2;
}
