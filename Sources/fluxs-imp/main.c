/*
 * fluxs-imp: the small privileged helper of a multi-user instance (man fluxs-imp(8),
 * the trust chain in man fluxs-security(7)). Installed setuid root beside
 * fluxs-broker, it starts a job shell as the job's user:
 *
 *     fluxs-imp run --uid=UID PROGRAM [ARGS...]
 *     fluxs-imp kill SIGNAL PGID
 *
 * and only when all of these hold:
 *   - it runs setuid root (else it says it is not installed so);
 *   - its caller (the real uid) is named in allow-users of its configuration, the file
 *     ../etc/fluxs/imp.conf next to its own directory, owned by root and writable by
 *     root only (the instance owner, who learned UID from the kernel with SO_PEERCRED);
 *   - PROGRAM is the allow-shell of the configuration (default: fluxs-shell beside it);
 *   - UID is not 0 and not below min-uid (default 1000).
 * It then takes the user's groups (or none, for a uid without a passwd entry), its gid
 * and uid, checks it cannot get root back, and executes PROGRAM. `kill` sends SIGNAL to
 * the process group PGID for the same callers, only when its leader belongs to a uid
 * at or above min-uid (a guest's job shell): how an instance that does not run as root
 * ends its guests' jobs. Nothing else.
 *
 * Configuration lines: "allow-users = NAME[,NAME...]", "allow-shell = PATH",
 * "min-uid = N"; # starts a comment.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

static void die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "fluxs-imp: error: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    exit(1);
}

struct config {
    char users[1024];
    char shell[PATH_MAX];
    long min_uid;
};

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    char *end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r')) *--end = '\0';
    return s;
}

static void read_config(const char *dir, struct config *cfg)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/../etc/fluxs/imp.conf", dir);
    struct stat st;
    if (stat(path, &st) < 0) die("no configuration %s: %s", path, strerror(errno));
    if (st.st_uid != 0 || (st.st_mode & 022)) die("%s must be owned by root and writable by root only", path);
    FILE *f = fopen(path, "r");
    if (!f) die("cannot read %s: %s", path, strerror(errno));
    char line[2048];
    int lineno = 0;
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        char *text = trim(line);
        if (!*text) continue;
        char *eq = strchr(text, '=');
        if (!eq) die("%s: line %d: not KEY = VALUE", path, lineno);
        *eq = '\0';
        char *key = trim(text), *value = trim(eq + 1);
        if (!strcmp(key, "allow-users")) snprintf(cfg->users, sizeof(cfg->users), "%s", value);
        else if (!strcmp(key, "allow-shell")) snprintf(cfg->shell, sizeof(cfg->shell), "%s", value);
        else if (!strcmp(key, "min-uid")) {
            char *end = NULL;
            cfg->min_uid = strtol(value, &end, 10);
            if (!end || *end || cfg->min_uid < 1) die("%s: line %d: min-uid must be a positive integer", path, lineno);
        }
        else die("%s: line %d: unknown key %s", path, lineno, key);
    }
    fclose(f);
}

static int listed(const char *list, const char *name)
{
    char copy[1024];
    snprintf(copy, sizeof(copy), "%s", list);
    for (char *save = NULL, *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save))
        if (!strcmp(trim(item), name)) return 1;
    return 0;
}

/* kill SIGNAL PGID: the group of a guest's shell only. */
static int kill_group(const struct config *cfg, const char *signame, const char *pgidtext)
{
    char *end = NULL;
    long sig = strtol(signame, &end, 10);
    if (!end || *end || sig < 1 || sig > 64) die("bad signal %s", signame);
    long pgid = strtol(pgidtext, &end, 10);
    if (!end || *end || pgid < 2) die("bad process group %s", pgidtext);
    char path[64];
    snprintf(path, sizeof(path), "/proc/%ld", pgid);
    struct stat st;
    if (stat(path, &st) < 0) return 1; /* gone already: nothing to do */
    if (st.st_uid == 0 || (long)st.st_uid < cfg->min_uid) die("process %ld is not a guest's (uid %u)", pgid, (unsigned)st.st_uid);
    if (getpgid((pid_t)pgid) != (pid_t)pgid) die("process %ld does not lead a process group", pgid);
    if (kill(-(pid_t)pgid, (int)sig) < 0) die("kill %ld: %s", pgid, strerror(errno));
    return 0;
}

int main(int argc, char **argv)
{
    int is_run = argc >= 4 && !strcmp(argv[1], "run") && !strncmp(argv[2], "--uid=", 6);
    int is_kill = argc == 4 && !strcmp(argv[1], "kill");
    if (!is_run && !is_kill)
        die("usage: fluxs-imp run --uid=UID PROGRAM [ARGS...] | fluxs-imp kill SIGNAL PGID (job-exec runs it; see fluxs-imp(8))");
    if (geteuid() != 0) die("fluxs-imp is not installed setuid root (make install as root)");

    char self[PATH_MAX];
    if (!realpath("/proc/self/exe", self)) die("cannot find myself: %s", strerror(errno));
    *strrchr(self, '/') = '\0';
    struct config cfg = { .users = "", .min_uid = 1000 };
    snprintf(cfg.shell, sizeof(cfg.shell), "%s/fluxs-shell", self);
    read_config(self, &cfg);

    uid_t caller = getuid();
    struct passwd *cpw = getpwuid(caller);
    if (!cpw || !listed(cfg.users, cpw->pw_name))
        die("uid %u may not use fluxs-imp (not in allow-users)", (unsigned)caller);
    if (is_kill) return kill_group(&cfg, argv[2], argv[3]);

    char *end = NULL;
    long uid = strtol(argv[2] + 6, &end, 10);
    if (!end || *end || uid <= 0 || uid > 0x7fffffffL) die("bad uid %s", argv[2] + 6);
    if (uid < cfg.min_uid) die("uid %ld is below min-uid %ld", uid, cfg.min_uid);

    char program[PATH_MAX], allowed[PATH_MAX];
    if (!realpath(argv[3], program)) die("%s: %s", argv[3], strerror(errno));
    if (!realpath(cfg.shell, allowed) || strcmp(program, allowed)) die("%s is not the allowed shell %s", argv[3], cfg.shell);

    struct passwd *pw = getpwuid((uid_t)uid);
    gid_t gid = pw ? pw->pw_gid : (gid_t)uid;
    if (pw ? initgroups(pw->pw_name, gid) < 0 : setgroups(0, NULL) < 0) die("cannot set groups: %s", strerror(errno));
    if (setresgid(gid, gid, gid) < 0) die("cannot set gid %u: %s", (unsigned)gid, strerror(errno));
    if (setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) < 0) die("cannot set uid %ld: %s", uid, strerror(errno));
    if (setuid(0) == 0 || geteuid() == 0) die("could get root back: refusing to go on");

    unsetenv("LD_PRELOAD");
    unsetenv("LD_LIBRARY_PATH");
    char uidtext[32];
    snprintf(uidtext, sizeof(uidtext), "%ld", uid);
    setenv("HOME", pw ? pw->pw_dir : "/", 1);
    setenv("USER", pw ? pw->pw_name : uidtext, 1);
    setenv("LOGNAME", pw ? pw->pw_name : uidtext, 1);
    execv(program, argv + 3);
    die("cannot run %s: %s", program, strerror(errno));
}
