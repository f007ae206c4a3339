#include <malloc.h>

/* memfd_create is declared only under _GNU_SOURCE, which Swift's Glibc module leaves out. */
int memfd_create(const char *name, unsigned int flags);

/* An anonymous in-memory file, closed on exec (MFD_CLOEXEC is 1 on Linux). */
static inline int kith_memfd_create(const char *name) { return memfd_create(name, 1u); }
