/* Userspace stand-in: C11 static_assert. */
#include <assert.h>
