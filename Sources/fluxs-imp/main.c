/*
 * fluxs-imp: the small privileged helper of a multi-user instance (man fluxs-imp(8),
 * the trust chain in man fluxs-security(7)). Installed setuid root beside
 * fluxs-broker, it starts a job shell as the job's user:
 *
 *     fluxs-imp run --uid=UID --jobid=ID --sign-fd=FD PROGRAM [ARGS...]
 *     fluxs-imp kill SIGNAL PGID
 *
 * and only when all of these hold:
 *   - it runs setuid root (else it says it is not installed so);
 *   - its caller (the real uid) is named in allow-users of its configuration, the file
 *     ../etc/fluxs/imp.conf next to its own directory, owned by root and writable by
 *     root only (the instance owner, who learned UID from the kernel with SO_PEERCRED);
 *   - UID is not 0 and not below min-uid (default 1000);
 *   - descriptor FD holds the job's signed request J (Flux RFC 39), signed with a
 *     mechanism of sign-mechanisms (default munge) by UID itself: for munge, munged
 *     (at munge-socket, default libmunge's) vouches that UID encoded a credential over
 *     SHA-256 of J's header and payload, no longer than sign-ttl seconds ago (default
 *     a week); for none, UID must be the caller, which it never is for a guest;
 *   - J was not used before for another job: the first use records it under
 *     ../var/lib/fluxs/imp (root's only), and J then starts shells of job ID only;
 *   - PROGRAM is the allow-shell of the configuration (default: fluxs-shell beside it).
 * It then hands PROGRAM the signed jobspec, J's payload, on descriptor FD with
 * --jobspec-fd=FD added to its arguments (the shell runs that jobspec, whatever the
 * instance sent), takes the user's groups (or none, for a uid without a passwd entry),
 * its gid and uid, checks it cannot get root back, and executes PROGRAM. `kill` sends
 * SIGNAL to the process group PGID for the same callers, only when its leader belongs
 * to a uid at or above min-uid (a guest's job shell): how an instance that does not
 * run as root ends its guests' jobs. Nothing else.
 *
 * Configuration lines: "allow-users = NAME[,NAME...]", "allow-shell = PATH",
 * "min-uid = N", "sign-mechanisms = munge[,none]", "sign-ttl = SECONDS",
 * "munge-socket = PATH"; # starts a comment.
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
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <munge.h>
#include <sodium.h>

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
    char mechanisms[256];
    long ttl;
    char munge_socket[PATH_MAX];
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
        else if (!strcmp(key, "sign-mechanisms")) snprintf(cfg->mechanisms, sizeof(cfg->mechanisms), "%s", value);
        else if (!strcmp(key, "munge-socket")) snprintf(cfg->munge_socket, sizeof(cfg->munge_socket), "%s", value);
        else if (!strcmp(key, "sign-ttl")) {
            char *end = NULL;
            cfg->ttl = strtol(value, &end, 10);
            if (!end || *end || cfg->ttl < 1) die("%s: line %d: sign-ttl must be a positive number of seconds", path, lineno);
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

/* Everything on descriptor fd, NUL-terminated (at most 16 MiB). */
static char *read_all(int fd, size_t *size)
{
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    if (!buf) die("out of memory");
    for (;;) {
        if (len + 1 >= cap) {
            if (cap >= (16u << 20)) die("J on descriptor %d is larger than 16 MiB", fd);
            cap *= 2;
            if (!(buf = realloc(buf, cap))) die("out of memory");
        }
        ssize_t n = read(fd, buf + len, cap - 1 - len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) die("cannot read J on descriptor %d: %s", fd, strerror(errno));
        if (n == 0) break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    *size = len;
    return buf;
}

/* Standard base64 to bytes; dies naming what when it is not base64. */
static unsigned char *unbase64(const char *text, size_t len, size_t *size, const char *what)
{
    unsigned char *out = malloc(len + 1);
    if (!out) die("out of memory");
    if (sodium_base642bin(out, len + 1, text, len, NULL, size, NULL, sodium_base64_VARIANT_ORIGINAL) < 0)
        die("J: the %s is not base64", what);
    return out;
}

/* The value of key in an RFC 38 key-value encoding, with its type letter; NULL when absent. */
static const char *kv_get(const unsigned char *kv, size_t len, const char *key, char type)
{
    const char *found = NULL;
    size_t i = 0;
    while (i < len) {
        const char *k = (const char *)kv + i;
        size_t klen = strnlen(k, len - i);
        if (i + klen >= len) die("J: the header is not a key-value encoding");
        i += klen + 1;
        const char *v = (const char *)kv + i;
        size_t vlen = strnlen(v, len - i);
        if (i + vlen >= len || vlen < 1) die("J: the header is not a key-value encoding");
        i += vlen + 1;
        if (!strcmp(k, key)) found = v[0] == type ? v + 1 : NULL;
    }
    return found;
}

/*
 * Checks J (HEADER.PAYLOAD.SIGNATURE, RFC 39) for a job of uid; returns its payload,
 * the jobspec. Dies naming the first check that fails.
 */
static unsigned char *verify(const struct config *cfg, char *J, size_t Jlen, long uid, size_t *payload_len)
{
    while (Jlen > 0 && (J[Jlen - 1] == '\n' || J[Jlen - 1] == '\r')) J[--Jlen] = '\0';
    if (strlen(J) != Jlen) die("J holds a NUL byte");
    char *dot1 = memchr(J, '.', Jlen);
    char *dot2 = dot1 ? memchr(dot1 + 1, '.', Jlen - (size_t)(dot1 + 1 - J)) : NULL;
    if (!dot1 || !dot2 || memchr(dot2 + 1, '.', Jlen - (size_t)(dot2 + 1 - J)) || !dot2[1])
        die("J is not HEADER.PAYLOAD.SIGNATURE");
    size_t header_len;
    unsigned char *header = unbase64(J, (size_t)(dot1 - J), &header_len, "header");
    const char *version = kv_get(header, header_len, "version", 'i');
    const char *mechanism = kv_get(header, header_len, "mechanism", 's');
    const char *userid = kv_get(header, header_len, "userid", 'i');
    if (!version || strcmp(version, "1")) die("J: header version is not 1");
    if (!mechanism || !userid) die("J: the header lacks mechanism or userid");
    char *end = NULL;
    long signer = strtol(userid, &end, 10);
    if (!end || *end || signer != uid) die("J is signed for uid %s, not for the job's uid %ld", userid, uid);
    if (!listed(cfg->mechanisms, mechanism)) die("J: mechanism %s is not in sign-mechanisms (%s)", mechanism, cfg->mechanisms);
    const char *signature = dot2 + 1;
    if (!strcmp(mechanism, "none")) {
        if (strcmp(signature, "none")) die("J: a none signature must be \"none\"");
        if ((long)getuid() != uid) die("J: mechanism none is only good for the caller's own jobs (uid %u), not uid %ld", (unsigned)getuid(), uid);
    } else if (!strcmp(mechanism, "munge")) {
        munge_ctx_t ctx = munge_ctx_create();
        if (!ctx) die("out of memory");
        if (cfg->munge_socket[0] && munge_ctx_set(ctx, MUNGE_OPT_SOCKET, cfg->munge_socket) != EMUNGE_SUCCESS)
            die("cannot use munge-socket %s", cfg->munge_socket);
        void *digest = NULL;
        int digest_len = 0;
        uid_t munge_uid;
        gid_t munge_gid;
        munge_err_t err = munge_decode(signature, ctx, &digest, &digest_len, &munge_uid, &munge_gid);
        /* RFC 39: munged's short TTL and its one-decode-per-host replay check do not
         * apply to jobs that wait in a queue and run on several brokers of a node. */
        if (err != EMUNGE_SUCCESS && err != EMUNGE_CRED_REPLAYED && err != EMUNGE_CRED_EXPIRED)
            die("J: the MUNGE credential is refused: %s", munge_ctx_strerror(ctx) ? munge_ctx_strerror(ctx) : munge_strerror(err));
        unsigned char expected[1 + crypto_hash_sha256_BYTES];
        expected[0] = 1;
        crypto_hash_sha256(expected + 1, (const unsigned char *)J, (unsigned long long)(dot2 - J));
        if (digest_len != (int)sizeof(expected) || memcmp(digest, expected, sizeof(expected)))
            die("J: the signature does not cover this header and payload (forged or altered)");
        if ((long)munge_uid != uid) die("J: munged says uid %u signed it, not uid %ld", (unsigned)munge_uid, uid);
        time_t encoded = 0;
        munge_ctx_get(ctx, MUNGE_OPT_ENCODE_TIME, &encoded);
        if (time(NULL) - encoded > cfg->ttl) die("J was signed more than sign-ttl (%ld s) ago", cfg->ttl);
        free(digest);
        munge_ctx_destroy(ctx);
    } else {
        die("J: unknown mechanism %s", mechanism);
    }
    free(header);
    return unbase64(dot1 + 1, (size_t)(dot2 - dot1 - 1), payload_len, "payload");
}

/*
 * The replay ledger, ../var/lib/fluxs/imp beside the IMP's directory (root's only): a
 * file per J (named by the SHA-256 of its signature) holding the job id it started.
 * J may start shells of that job only; entries older than sign-ttl are removed (J is
 * refused by then anyway).
 */
static void check_replay(const struct config *cfg, const char *self, const char *J, size_t Jlen, const char *jobid)
{
    char dir[PATH_MAX], path[PATH_MAX + 80];
    snprintf(dir, sizeof(dir), "%s/../var", self);
    mkdir(dir, 0755);
    snprintf(dir, sizeof(dir), "%s/../var/lib", self);
    mkdir(dir, 0755);
    snprintf(dir, sizeof(dir), "%s/../var/lib/fluxs", self);
    mkdir(dir, 0755);
    snprintf(dir, sizeof(dir), "%s/../var/lib/fluxs/imp", self);
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) die("cannot make %s: %s", dir, strerror(errno));
    struct stat st;
    if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 077))
        die("%s must be a directory of root's only", dir);
    DIR *entries = opendir(dir);
    if (entries) {
        time_t now = time(NULL);
        for (struct dirent *e; (e = readdir(entries));) {
            if (e->d_name[0] == '.') continue;
            snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
            if (lstat(path, &st) == 0 && now - st.st_mtime > cfg->ttl) unlink(path);
        }
        closedir(entries);
    }
    const char *signature = memrchr(J, '.', Jlen);
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, (const unsigned char *)signature, (unsigned long long)(J + Jlen - signature));
    char name[2 * sizeof(digest) + 1];
    sodium_bin2hex(name, sizeof(name), digest, sizeof(digest));
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    /* The entry appears whole or not at all: the shells of one job on nodes that share
     * this directory race to make it, and a reader must never see it half written. */
    char tmp[PATH_MAX + 120];
    snprintf(tmp, sizeof(tmp), "%s/new.%ld.%s", dir, (long)getpid(), name);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
    if (fd < 0) die("cannot make %s: %s", tmp, strerror(errno));
    if (write(fd, jobid, strlen(jobid)) != (ssize_t)strlen(jobid)) die("cannot write %s: %s", tmp, strerror(errno));
    close(fd);
    int made = link(tmp, path);
    int link_errno = errno;
    unlink(tmp);
    if (made == 0) return;
    if (link_errno != EEXIST) die("cannot make %s: %s", path, strerror(link_errno));
    char used[64] = "";
    fd = open(path, O_RDONLY | O_NOFOLLOW);
    if (fd < 0 || read(fd, used, sizeof(used) - 1) < 0) die("cannot read %s: %s", path, strerror(errno));
    close(fd);
    if (strcmp(used, jobid)) die("J was used for job %s already: it may not start job %s (a replay)", used, jobid);
}

/* Puts the verified jobspec on descriptor fd (a memory file, read from the start). */
static void hand_jobspec(const unsigned char *jobspec, size_t len, int fd)
{
    int memfd = memfd_create("fluxs-imp-jobspec", 0);
    if (memfd < 0) die("memfd_create: %s", strerror(errno));
    for (size_t done = 0; done < len;) {
        ssize_t n = write(memfd, jobspec + done, len - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) die("cannot write the jobspec: %s", strerror(errno));
        done += (size_t)n;
    }
    lseek(memfd, 0, SEEK_SET);
    if (dup2(memfd, fd) < 0) die("dup2: %s", strerror(errno));
    close(memfd);
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

/* The value of --NAME=VALUE among the run options, or NULL. */
static const char *option(char **options, int count, const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; i < count; i++)
        if (!strncmp(options[i], name, n) && options[i][n] == '=') return options[i] + n + 1;
    return NULL;
}

int main(int argc, char **argv)
{
    /* run --uid=UID --jobid=ID --sign-fd=FD PROGRAM [ARGS...] */
    int options = 0;
    while (argc > 2 + options && !strncmp(argv[2 + options], "--", 2)) options++;
    int is_run = argc >= 3 + options && !strcmp(argv[1], "run") && options == 3;
    int is_kill = argc == 4 && !strcmp(argv[1], "kill");
    if (!is_run && !is_kill)
        die("usage: fluxs-imp run --uid=UID --jobid=ID --sign-fd=FD PROGRAM [ARGS...] | fluxs-imp kill SIGNAL PGID (job-exec runs it; see fluxs-imp(8))");
    if (geteuid() != 0) die("fluxs-imp is not installed setuid root (make install as root)");

    char self[PATH_MAX];
    if (!realpath("/proc/self/exe", self)) die("cannot find myself: %s", strerror(errno));
    *strrchr(self, '/') = '\0';
    struct config cfg = { .users = "", .min_uid = 1000, .mechanisms = "munge", .ttl = 7 * 86400, .munge_socket = "" };
    snprintf(cfg.shell, sizeof(cfg.shell), "%s/fluxs-shell", self);
    read_config(self, &cfg);

    uid_t caller = getuid();
    struct passwd *cpw = getpwuid(caller);
    if (!cpw || !listed(cfg.users, cpw->pw_name))
        die("uid %u may not use fluxs-imp (not in allow-users)", (unsigned)caller);
    if (is_kill) return kill_group(&cfg, argv[2], argv[3]);

    const char *uidtext = option(argv + 2, options, "--uid");
    const char *jobid = option(argv + 2, options, "--jobid");
    const char *fdtext = option(argv + 2, options, "--sign-fd");
    if (!uidtext || !jobid || !fdtext) die("run needs --uid, --jobid and --sign-fd");
    char *end = NULL;
    long uid = strtol(uidtext, &end, 10);
    if (!end || *end || uid <= 0 || uid > 0x7fffffffL) die("bad uid %s", uidtext);
    if (uid < cfg.min_uid) die("uid %ld is below min-uid %ld", uid, cfg.min_uid);
    if (!*jobid || strlen(jobid) > 40 || strspn(jobid, "0123456789") != strlen(jobid)) die("bad job id %s", jobid);
    long signfd = strtol(fdtext, &end, 10);
    if (!end || *end || signfd < 3 || signfd > 1024) die("bad --sign-fd %s", fdtext);

    size_t Jlen, jobspec_len;
    char *J = read_all((int)signfd, &Jlen);
    unsigned char *jobspec = verify(&cfg, J, Jlen, uid, &jobspec_len);
    check_replay(&cfg, self, J, strlen(J), jobid);

    const char *shell = argv[2 + options];
    char program[PATH_MAX], allowed[PATH_MAX];
    if (!realpath(shell, program)) die("%s: %s", shell, strerror(errno));
    if (!realpath(cfg.shell, allowed) || strcmp(program, allowed)) die("%s is not the allowed shell %s", shell, cfg.shell);
    hand_jobspec(jobspec, jobspec_len, (int)signfd);

    struct passwd *pw = getpwuid((uid_t)uid);
    gid_t gid = pw ? pw->pw_gid : (gid_t)uid;
    if (pw ? initgroups(pw->pw_name, gid) < 0 : setgroups(0, NULL) < 0) die("cannot set groups: %s", strerror(errno));
    if (setresgid(gid, gid, gid) < 0) die("cannot set gid %u: %s", (unsigned)gid, strerror(errno));
    if (setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) < 0) die("cannot set uid %ld: %s", uid, strerror(errno));
    if (setuid(0) == 0 || geteuid() == 0) die("could get root back: refusing to go on");

    unsetenv("LD_PRELOAD");
    unsetenv("LD_LIBRARY_PATH");
    char uidname[32];
    snprintf(uidname, sizeof(uidname), "%ld", uid);
    setenv("HOME", pw ? pw->pw_dir : "/", 1);
    setenv("USER", pw ? pw->pw_name : uidname, 1);
    setenv("LOGNAME", pw ? pw->pw_name : uidname, 1);

    /* PROGRAM [ARGS...] --jobspec-fd=FD */
    int count = argc - (2 + options);
    char **args = calloc((size_t)count + 2, sizeof(char *));
    char jobspec_option[32];
    if (!args) die("out of memory");
    snprintf(jobspec_option, sizeof(jobspec_option), "--jobspec-fd=%ld", signfd);
    for (int i = 0; i < count; i++) args[i] = argv[2 + options + i];
    args[count] = jobspec_option;
    execv(program, args);
    die("cannot run %s: %s", program, strerror(errno));
}
