/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The least a PAM session module can be: bench/floor.sh loads it beside
 * pam_permit to measure what any extra module costs a login on this
 * machine (dlopen, relocation, the page faults of its pages, dlclose).
 */
#include <security/pam_modules.h>

int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        (void) pamh, (void) flags, (void) argc, (void) argv;
        return PAM_SUCCESS;
}

int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        (void) pamh, (void) flags, (void) argc, (void) argv;
        return PAM_SUCCESS;
}
