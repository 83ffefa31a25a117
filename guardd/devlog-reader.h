/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Who reads /dev/log, and who is blocked writing to it (incident 5: 645
 * tasks asleep in unix_wait_for_peer). The reader is the process holding
 * the socket bound at the path, preferring a holder other than PID 1
 * (under systemd, PID 1 holds journald's socket too). The census counts
 * tasks sleeping in unix_wait_for_peer and attributes each to the socket
 * it writes to, from what the kernel reports (sock_diag, /proc), never
 * from the writers' memory.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define CENSUS_TOP 5

/* Where unconnected writers go in the census when the kernel cannot say
 * which socket they wait on (see only_full_candidate()). */
#define UNCONNECTED_UNKNOWN "(unconnected; destination not attested)"

typedef struct DevlogReader {
        pid_t pid; /* 0: unknown */
        int fd; /* the reader's descriptor for the socket */
        uint32_t sock_ino;
        dev_t path_dev;
        ino_t path_ino;
        char comm[32];
        char state;
        char unit[128];
} DevlogReader;

typedef struct CensusEntry {
        char name[108]; /* comm of writers, or path of another socket */
        unsigned count;
        pid_t reader; /* other sockets: who reads them (0: unknown) */
} CensusEntry;

typedef struct Census {
        bool valid;
        unsigned blocked; /* tasks blocked writing to the /dev/log socket */
        CensusEntry writers[CENSUS_TOP]; /* ... by command */
        unsigned n_writers;
        CensusEntry others[CENSUS_TOP]; /* other sockets with blocked writers */
        unsigned n_others;
        unsigned unconnected; /* blocked in sendto()/sendmsg() with an address */
        CensusEntry unconnected_writers[CENSUS_TOP]; /* ... by command */
        unsigned n_unconnected_writers;
        uint64_t cost_usec;
} Census;

int devlog_reader_find(const char *path, DevlogReader *ret);
bool devlog_reader_alive(DevlogReader *r);
int devlog_census(const DevlogReader *r, Census *ret);
