import Foundation
import KithLog

/// A disk that runs out of space at one write (the `failAt`-th), then has room again: the
/// write fails as the kernel's would (`ENOSPC`), nothing of it lands, and every other operation
/// goes through. It reaches the code a real full disk reaches where mounting a small tmpfs is
/// not allowed (`DiskFullTests` needs CAP_SYS_ADMIN).
public final class FullDisk: DiskObserver, @unchecked Sendable {
    // @unchecked: the counter is guarded by `lock`.
    public let failAt: Int
    private let lock = NSLock()
    private var writes = 0

    public init(failAt: Int) { self.failAt = failAt }

    /// Writes seen so far.
    public var writesSeen: Int { lock.withLock { writes } }

    package var disk: Disk { Disk(observer: self) }

    package func willPerform(_ operation: DiskOperation) throws {
        guard case .write(let path, _, _) = operation else { return }
        try lock.withLock {
            writes += 1
            if writes == failAt { throw LogError.io("write", path: path, errno: ENOSPC) }
        }
    }
}
