// CRC-32C with the SSE4.2 `crc32` instruction, header-only (Swift cannot reach the intrinsic).
// The caller checks kith_crc32c_hardware_available() once and keeps the software path otherwise.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>

static inline int kith_crc32c_hardware_available(void) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    return (c & bit_SSE4_2) != 0;
}

// `crc` is the running register (already inverted by the caller), as in the software tables.
__attribute__((target("sse4.2"))) static inline uint32_t kith_crc32c_hardware(uint32_t crc, const void *data, size_t n) {
    const unsigned char *p = (const unsigned char *)data;
    uint64_t c = crc;
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c = __builtin_ia32_crc32di(c, v);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n > 0) {
        c32 = __builtin_ia32_crc32qi(c32, *p);
        p++;
        n--;
    }
    return c32;
}
#else
static inline int kith_crc32c_hardware_available(void) { return 0; }
static inline uint32_t kith_crc32c_hardware(uint32_t crc, const void *data, size_t n) {
    (void)data;
    (void)n;
    return crc;
}
#endif
