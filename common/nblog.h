/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A syslog sender that can never block: one datagram per message with
 * MSG_DONTWAIT to the /dev/log socket; when the reader's queue is full the
 * message is dropped and counted. syslog(3) would instead sleep in
 * unix_wait_for_peer and take the login down with a stuck reader
 * (docs/INCIDENTS.md, incident 5).
 */
#pragma once

#include <stdarg.h>
#include <stdint.h>

#include "macro.h"

typedef struct NbLog {
        const char *path; /* socket path, usually "/dev/log" */
        const char *ident; /* program name in the message */
        int facility; /* LOG_AUTHPRIV, LOG_DAEMON, ... */
        uint64_t sent;
        uint64_t dropped; /* queue full: would have blocked */
        uint64_t failed; /* no reader, or other errors */
} NbLog;

int nblog_send(NbLog *l, int priority, const char *fmt, ...) _printf_(3, 4);
int nblog_sendv(NbLog *l, int priority, const char *fmt, va_list ap) _printf_(3, 0);
