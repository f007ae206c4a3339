import Foundation

/// This process's resident memory, as the kernel counts it: what a rebuild weighs before it
/// holds more (see `Projector.overlapCeiling`).
public enum ResidentMemory {
    /// Resident bytes now; 0 where `/proc/self/statm` cannot be read (not Linux).
    public static func current() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
    }
}
