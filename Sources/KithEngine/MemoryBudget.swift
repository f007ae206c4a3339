import Foundation

/// How much memory this process may still take: it sizes a rebuild's one-pass limit, so a
/// large log falls back to batches instead of being killed.
public enum MemoryBudget {
    /// Linux's MemAvailable, or less under a cgroup (container) limit, in bytes; nil where
    /// neither can be read.
    public static func available() -> Int? {
        func number(_ text: String?) -> Int? {
            text.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        var available: Int?
        if let meminfo = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
            let line = meminfo.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") })
        {
            available = line.split(separator: " ").dropFirst().first.flatMap { Int($0) }.map { $0 * 1024 }
        }
        // cgroup v2: memory.max is "max" when there is no limit.
        if let limit = number(try? String(contentsOfFile: "/sys/fs/cgroup/memory.max", encoding: .utf8)),
            let used = number(try? String(contentsOfFile: "/sys/fs/cgroup/memory.current", encoding: .utf8))
        {
            available = min(available ?? .max, max(0, limit - used))
        }
        return available
    }
}
