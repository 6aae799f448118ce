#define _GNU_SOURCE
#include "fluxs_support.h"
#include <sched.h>
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
