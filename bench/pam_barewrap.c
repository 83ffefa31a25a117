/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The least a wrapper can be: load the module named by wrap= (RTLD_NOW,
 * kept loaded for the life of the process as pam_module/target.c keeps
 * it), look up the entry point, call it. No options, no status, no
 * breaker, no deadline. bench/floor.sh and bench/rs-floor.sh wrap
 * pam_systemd with it to measure what wrapping alone costs a login here,
 * below which no guard of any design can go. Not for use in a real stack.
 */
#include <dlfcn.h>
#include <security/pam_modules.h>
#include <string.h>

typedef int (*entry_fn)(pam_handle_t *, int, int, const char **);

static int call(const char *name, pam_handle_t *pamh, int flags, int argc, const char **argv) {
        const char *wrap = NULL;
        entry_fn fn;
        void *h;

        for (int i = 0; i < argc; i++)
                if (strncmp(argv[i], "wrap=", 5) == 0)
                        wrap = argv[i] + 5;
        if (!wrap)
                return PAM_IGNORE;
        h = dlopen(wrap, RTLD_NOW | RTLD_LOCAL);
        if (!h)
                return PAM_IGNORE;
        *(void **) &fn = dlsym(h, name);
        return fn ? fn(pamh, flags, 0, NULL) : PAM_IGNORE;
}

int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        return call("pam_sm_open_session", pamh, flags, argc, argv);
}

int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        return call("pam_sm_close_session", pamh, flags, argc, argv);
}
