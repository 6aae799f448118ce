/* libsodium (Debian libsodium-dev): SHA-256 for signed job requests. */
#include <sodium.h>
