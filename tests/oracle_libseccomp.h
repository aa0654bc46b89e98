/* Test and benchmark oracle: one arch filter of mvmc's normal form compiled by libseccomp
 * (the x32 range and foreign arch tokens are killed, as in mvmc's own generator). */
#ifndef MVM_TESTS_ORACLE_LIBSECCOMP_H
#define MVM_TESTS_ORACLE_LIBSECCOMP_H
#include "compiler/emit.h"

/* optimize: libseccomp's SCMP_FLTATR_CTL_OPTIMIZE, 1 (linear list) or 2 (binary tree).
 * Appends the program to out. 0 or a negative errno (reported to d). */
int oracle_libseccomp_bpf(struct mvm_diag *d, const struct mvm_arch_filter *f, int optimize, struct mvm_buf *out);
#endif
