/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A wrapped call watched by guardd (common/watch-file.h): one slot in its
 * watch table instead of a thread of our own.
 */
#pragma once

#include "guard.h"

int watch_call(const GuardCall *call, GuardResult *ret);
int watch_open(int dir_fd, WatchMap *ret);
