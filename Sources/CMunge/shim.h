/* libmunge (Debian libmunge-dev), with non-variadic wrappers of munge_ctx_set/get. */
#include <munge.h>
#include <time.h>

/* Sets the socket through which the context reaches munged. */
static inline munge_err_t fluxs_munge_set_socket(munge_ctx_t ctx, const char *path)
{
    return munge_ctx_set(ctx, MUNGE_OPT_SOCKET, path);
}

/* The time the credential just decoded with the context was encoded. */
static inline munge_err_t fluxs_munge_encode_time(munge_ctx_t ctx, time_t *when)
{
    return munge_ctx_get(ctx, MUNGE_OPT_ENCODE_TIME, when);
}
