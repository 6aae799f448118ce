/* Small Linux wrappers Swift cannot call directly (variadic syscalls, macros). */
#ifndef FLUXS_SUPPORT_H
#define FLUXS_SUPPORT_H
#include <sys/types.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

/* A pidfd for pid (readable when the process exits), or -1 with errno set. */
int fluxs_pidfd_open(pid_t pid);

/* accept4 with SOCK_CLOEXEC | SOCK_NONBLOCK. */
int fluxs_accept(int fd);

/* The uid, gid and pid of the peer of a connected Unix socket; 0 or -1 with errno. */
int fluxs_peer_credentials(int fd, uid_t *uid, gid_t *gid, pid_t *pid);

/* This thread's CPU affinity as a bit mask (bit n = CPU n) of `len` bytes; 0 or -1. */
int fluxs_affinity_mask(unsigned char *mask, size_t len);

/* Sets this thread's CPU affinity from a bit mask (bit n = CPU n) of `len` bytes;
 * children started afterwards inherit it. 0 or -1 with errno. */
int fluxs_set_affinity(const unsigned char *mask, size_t len);

/* An anonymous close-on-exec memory file (memfd_create), or -1 with errno. */
int fluxs_memfd(const char *name);

/* A signal set holding just signo (sigaddset is a macro on some libcs). */
void fluxs_sigset_add(sigset_t *set, int signo);

/* The exit status macros, as functions. */
int fluxs_wifexited(int status);
int fluxs_wexitstatus(int status);
int fluxs_wifsignaled(int status);
int fluxs_wtermsig(int status);

/* Gives the heap's free pages back to the system (malloc_trim(0)); 1 if any were. */
int fluxs_malloc_trim(void);

/* Sends one message of `len` bytes on a SOCK_SEQPACKET socket with `nfds` descriptors
 * (SCM_RIGHTS, at most 8); bytes sent or -1 with errno. */
ssize_t fluxs_send_fds(int sock, const void *buf, size_t len, const int *fds, int nfds);

/* Receives one message into `buf` and up to `maxfds` (at most 8) descriptors passed with
 * it, made close-on-exec; their number goes to *nfds. Bytes received (0 at end of
 * stream) or -1 with errno. */
ssize_t fluxs_recv_fds(int sock, void *buf, size_t len, int *fds, int maxfds, int *nfds);

#endif
