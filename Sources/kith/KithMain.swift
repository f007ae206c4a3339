import ArgumentParser
import KithCLI

#if canImport(Glibc)
    import Glibc
#endif

#if canImport(Glibc)
    import CMalloc
#endif

/// Entry point: tune the allocator, parse, then run the (possibly asynchronous) subcommand.
@main
enum KithMain {
    static func main() async {
        #if canImport(Glibc)
            // Ingest allocates megabyte buffers per chunk. glibc would map and unmap each one,
            // paying page faults on every chunk; keep them in the heap for reuse instead.
            _ = mallopt(M_MMAP_THRESHOLD, 256 << 20)
            _ = mallopt(M_TRIM_THRESHOLD, 512 << 20)
            _ = mallopt(M_TOP_PAD, 64 << 20)
            // One heap for every thread. A rebuild resolves identity on a second thread; in a heap
            // of its own, what it allocated and freed was kept for that thread alone, beside the
            // main thread's, and a 1,000,000-person rebuild peaked at 1,993–2,046 MiB instead of
            // 1,907–1,919 (ingest's parallel parsing measured no slower: 2.31–2.35 s either way).
            _ = mallopt(M_ARENA_MAX, 1)
        #endif
        // Everything Kith writes may hold personal data (the log, projections, quarantine,
        // exports): owner-only from the moment it is created (folders 0700, files 0600).
        umask(0o077)
        do {
            var command = try KithCommand.parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            KithCommand.exit(reporting: error)
        }
    }
}
