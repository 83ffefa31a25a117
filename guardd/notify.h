/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sd_notify(3) that can never block. sd_notify() sends a blocking datagram
 * to PID 1's notify socket; when PID 1 is stopped or stuck its queue fills
 * and guardd would sleep in unix_wait_for_peer, stop writing its status and
 * look dead while it is alive. Here every message is one MSG_DONTWAIT
 * datagram on a socket of our own; one that would block is dropped and
 * counted (GUARDD_NOTIFY_DROPPED), like the module's log lines.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

typedef struct Notifier {
        int fd; /* -EBADF when there is no $NOTIFY_SOCKET */
        struct sockaddr_un sa;
        socklen_t sa_len;
        uint64_t sent;
        uint64_t dropped; /* would have blocked */
        uint64_t failed;
} Notifier;

void notifier_init(Notifier *n);
void notifier_done(Notifier *n);
int notifier_send(Notifier *n, const char *message);
