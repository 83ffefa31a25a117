/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * loginguard-pam-check CONFDIR SERVICE...: load each service's stack with
 * libpam from CONFDIR (pam_start_confdir(), nothing is called), so that
 * loginguard-pam can try a rewritten stack before it replaces the old one.
 * Exit 0 when libpam accepts every service.
 */
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data) {
        return PAM_CONV_ERR;
}

int main(int argc, char **argv) {
        struct pam_conv c = { .conv = conv };
        int bad = 0;

        if (argc < 3) {
                fprintf(stderr, "usage: loginguard-pam-check CONFDIR SERVICE...\n");
                return 2;
        }
        for (int i = 2; i < argc; i++) {
                pam_handle_t *pamh = NULL;
                int rc = pam_start_confdir(argv[i], "root", &c, argv[1], &pamh);

                if (rc != PAM_SUCCESS) {
                        fprintf(stderr, "%s/%s: libpam refuses it: %s\n", argv[1], argv[i],
                                pam_strerror(pamh, rc));
                        bad = 1;
                }
                if (pamh)
                        (void) pam_end(pamh, rc);
        }
        return bad;
}
