/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The wrapped module: resolved, checked (root-owned regular file, not
 * writable by group or others) and dlopen()ed once per process.
 */
#pragma once

#include <errno.h>

#include "guard.h"

typedef enum EntryPoint {
        EP_AUTHENTICATE,
        EP_SETCRED,
        EP_ACCT_MGMT,
        EP_OPEN_SESSION,
        EP_CLOSE_SESSION,
        EP_CHAUTHTOK,
        _EP_MAX,
        _EP_INVALID = -EINVAL,
} EntryPoint;

int target_resolve(const char *wrap, const void *self_symbol, char *ret, size_t size);
int target_load(const char *path, EntryPoint ep, pam_sm_fn *ret);
const char *entry_point_to_string(EntryPoint ep);
const char *entry_point_type(EntryPoint ep);
void target_basename(const char *path, char *ret, size_t size);
