/* Shared between the parts of runtime/egress*.c; not a public surface. */
#ifndef MVM_EGRESS_INTERNAL_H
#define MVM_EGRESS_INTERNAL_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../lib/buf.h"

struct nft_ctx;

/* A libnftables context with buffered output and errors, or NULL. */
struct nft_ctx *egress_nft_new(void);
/* Runs text as one transaction with the given output flags (NFT_CTX_OUTPUT_*). 0, or -EIO
 * with the first line of nft's error in err (when given); listings are appended to out. */
int egress_nft_run(struct nft_ctx *n, unsigned flags, const char *text, struct mvm_buf *out, char *err, size_t errlen);
/* The handle of table inet NAME and whether its owner is gone (stale) or this process (ours). */
int egress_table_owner(struct nft_ctx *n, const char *name, uint64_t *handle, bool *stale, bool *ours);
int egress_delete_handle(struct nft_ctx *n, uint64_t handle);
/* Field 22 of /proc/PID/stat (0 when unreadable), this process's pid namespace inode. */
uint64_t egress_start_time(pid_t pid);
uint64_t egress_pidns(void);
bool egress_owner_alive(pid_t pid, uint64_t start);
/* Whether /proc shows this process under its own pid (it does not when /proc was mounted by
 * another pid namespace): owners can only be judged when it does. */
bool egress_proc_is_ours(void);
#endif
