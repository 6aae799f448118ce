#define _GNU_SOURCE
#include "fluxs_support.h"
#include <errno.h>
#include <malloc.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int fluxs_pidfd_open(pid_t pid)
{
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

int fluxs_accept(int fd)
{
    return accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
}

int fluxs_peer_credentials(int fd, uid_t *uid, gid_t *gid, pid_t *pid)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
        return -1;
    *uid = cred.uid;
    *gid = cred.gid;
    *pid = cred.pid;
    return 0;
}

int fluxs_affinity_mask(unsigned char *mask, size_t len)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) < 0)
        return -1;
    for (size_t cpu = 0; cpu < len * 8 && cpu < CPU_SETSIZE; cpu++) {
        if (CPU_ISSET(cpu, &set))
            mask[cpu / 8] |= (unsigned char)(1u << (cpu % 8));
        else
            mask[cpu / 8] &= (unsigned char)~(1u << (cpu % 8));
    }
    return 0;
}

void fluxs_sigset_add(sigset_t *set, int signo)
{
    sigaddset(set, signo);
}

int fluxs_wifexited(int status) { return WIFEXITED(status); }
int fluxs_wexitstatus(int status) { return WEXITSTATUS(status); }
int fluxs_wifsignaled(int status) { return WIFSIGNALED(status); }
int fluxs_wtermsig(int status) { return WTERMSIG(status); }

int fluxs_set_affinity(const unsigned char *mask, size_t len)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    for (size_t cpu = 0; cpu < len * 8 && cpu < CPU_SETSIZE; cpu++)
        if (mask[cpu / 8] & (1u << (cpu % 8)))
            CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof(set), &set);
}

int fluxs_memfd(const char *name)
{
    return (int)syscall(SYS_memfd_create, name, 1u /* MFD_CLOEXEC */);
}

ssize_t fluxs_send_fds(int sock, const void *buf, size_t len, const int *fds, int nfds)
{
    if (nfds < 0 || nfds > 8) {
        errno = EINVAL;
        return -1;
    }
    union {
        struct cmsghdr align;
        char bytes[CMSG_SPACE(8 * sizeof(int))];
    } control;
    struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    if (nfds > 0) {
        memset(&control, 0, sizeof(control));
        msg.msg_control = control.bytes;
        msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
        struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(nfds * sizeof(int));
        memcpy(CMSG_DATA(cmsg), fds, nfds * sizeof(int));
    }
    ssize_t n;
    do {
        n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n;
}

ssize_t fluxs_recv_fds(int sock, void *buf, size_t len, int *fds, int maxfds, int *nfds)
{
    union {
        struct cmsghdr align;
        char bytes[CMSG_SPACE(8 * sizeof(int))];
    } control;
    struct iovec iov = {.iov_base = buf, .iov_len = len};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.bytes,
                         .msg_controllen = sizeof(control.bytes)};
    ssize_t n;
    do {
        n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    *nfds = 0;
    if (n < 0)
        return n;
    for (struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
        if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
            continue;
        int count = (int)((cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        int *passed = (int *)CMSG_DATA(cmsg);
        for (int i = 0; i < count; i++) {
            if (*nfds < maxfds && *nfds < 8)
                fds[(*nfds)++] = passed[i];
            else
                close(passed[i]);
        }
    }
    return n;
}

int fluxs_malloc_trim(void)
{
    return malloc_trim(0);
}
