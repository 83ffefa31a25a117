/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A wrapped call watched by guardd (common/watch-file.h): one slot in its
 * watch table instead of a thread of our own.
 */
#pragma once

#include "guard.h"

int watch_call(const GuardCall *call, GuardResult *ret);
WatchFile *watch_table(int dir_fd, pid_t pid, int *ret_error);
