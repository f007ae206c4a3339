import Foundation
import KithGenerator
import KithLog

/// A simulated power loss for crash tests, in the manner of SQLite's crash-test VFS.
///
/// It watches a `Disk` under `root`: every write, truncation, sync, rename and directory it
/// makes. Written bytes stay volatile until their file is synced, and directory entries (files
/// created, renamed or removed, directories made) until their directory is synced. At the crash
/// point (the `crashAt`-th operation, which then fails with `SimulatedPowerLoss`, as does every
/// operation after it), `losePower(using:)` rewrites the real files under `root` to one state
/// the disk could hold after the power came back:
/// - synced bytes and synced entries survive;
/// - each file's unsynced bytes are dropped, kept, torn at a random offset, or kept page by page
///   at random (`Loss`);
/// - an in-order prefix of the unsynced entry changes survives, possibly none.
///
/// Files written around the `Disk` (SQLite's) are left as they are.
public final class PowerLossDisk: DiskObserver, @unchecked Sendable {
    // @unchecked: all mutable state is guarded by `lock`.
    public let root: String
    public let crashAt: Int?
    private let lock = NSLock()
    private var operationCount = 0
    private var hasCrashed = false
    private var inodes: [Inode] = []
    private var durable = Namespace()
    private var current = Namespace()
    private var unsynced: [Change] = []

    /// The operations seen so far (with a crash, the crash point).
    public var operations: Int { lock.withLock { operationCount } }
    /// Whether the crash point was reached.
    public var crashed: Bool { lock.withLock { hasCrashed } }
    /// The `Disk` to hand to the code under test.
    package var disk: Disk { Disk(observer: self) }

    /// Takes what is under `root` now as durable.
    public init(root: String, crashAt: Int? = nil) throws {
        self.root = root
        self.crashAt = crashAt
        let fm = FileManager.default
        durable.directories.insert(root)
        for relative in try fm.subpathsOfDirectory(atPath: root).sorted() {
            let path = root + "/" + relative
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                durable.directories.insert(path)
            } else {
                let bytes = [UInt8](fm.contents(atPath: path) ?? Data())
                inodes.append(Inode(durable: bytes, current: bytes))
                durable.files[path] = inodes.count - 1
            }
        }
        current = durable
    }

    package func willPerform(_ operation: DiskOperation) throws {
        try lock.withLock {
            if hasCrashed { throw SimulatedPowerLoss(operation: operationCount) }
            operationCount += 1
            if operationCount == crashAt {
                hasCrashed = true
                throw SimulatedPowerLoss(operation: operationCount)
            }
            record(operation)
        }
    }

    private func record(_ operation: DiskOperation) {
        switch operation {
        case .open(let path, let creating, let truncating):
            guard isTracked(path) else { return }
            if let inode = current.files[path] {
                if truncating { inodes[inode].apply(.truncate(0)) }
            } else if creating {
                inodes.append(Inode(durable: [], current: []))
                current.files[path] = inodes.count - 1
                unsynced.append(.link(path, inodes.count - 1))
            }
        case .write(let path, let offset, let bytes):
            if let inode = current.files[path] { inodes[inode].apply(.write(offset, bytes)) }
        case .truncate(let path, let length):
            if let inode = current.files[path] { inodes[inode].apply(.truncate(length)) }
        case .sync(let path):
            if let inode = current.files[path] { inodes[inode].sync() }
        case .rename(let source, let target):
            guard isTracked(source), isTracked(target) else { return }
            current.apply(.rename(source, target))
            unsynced.append(.rename(source, target))
        case .link(let source, let target):
            guard isTracked(target), current.files[target] == nil, let inode = current.files[source] else { return }
            current.apply(.link(target, inode))
            unsynced.append(.link(target, inode))
        case .syncDirectory(let directory):
            // Every entry change in this directory becomes durable; the others stay pending.
            var pending: [Change] = []
            for change in unsynced {
                if change.directory == directory { durable.apply(change) } else { pending.append(change) }
            }
            unsynced = pending
        case .createDirectory(let directory):
            guard isTracked(directory) else { return }
            current.apply(.makeDirectory(directory))
            unsynced.append(.makeDirectory(directory))
        case .remove(let path):
            guard isTracked(path), current.files[path] != nil else { return }
            current.apply(.unlink(path))
            unsynced.append(.unlink(path))
        }
    }

    private func isTracked(_ path: String) -> Bool { path.hasPrefix(root + "/") }

    /// Rewrites the files under `root` to a state a power loss at the crash point could leave,
    /// chosen by `rng`; `loss` fixes what happens to unsynced bytes (else random per file).
    /// Returns what was chosen, for a failure message.
    @discardableResult
    public func losePower(using rng: inout SplitMix64, loss: Loss? = nil) throws -> String {
        try lock.withLock {
            hasCrashed = true
            var after = durable
            let kept = Int.random(in: 0...unsynced.count, using: &rng)
            for change in unsynced.prefix(kept) { after.apply(change) }
            // A directory whose own entry was lost takes everything under it along.
            after.directories = after.directories.filter { directory in
                var path = directory
                while path != root {
                    guard after.directories.contains(path) else { return false }
                    path = (path as NSString).deletingLastPathComponent
                }
                return true
            }
            after.files = after.files.filter {
                after.directories.contains(($0.key as NSString).deletingLastPathComponent)
            }
            var contents: [String: [UInt8]] = [:]
            var story = ["\(kept) of \(unsynced.count) unsynced entry changes kept"]
            for (path, inode) in after.files.sorted(by: { $0.key < $1.key }) {
                let fate = loss ?? Loss.allCases[Int.random(in: 0..<Loss.allCases.count, using: &rng)]
                contents[path] = inodes[inode].afterPowerLoss(fate, using: &rng)
                if !inodes[inode].pending.isEmpty { story.append("\((path as NSString).lastPathComponent): \(fate)") }
            }
            let fm = FileManager.default
            for path in Set(current.files.keys).union(durable.files.keys) { unlink(path) }
            for directory in current.directories.subtracting(after.directories).sorted(by: { $0.count > $1.count }) {
                try? fm.removeItem(atPath: directory)
            }
            for directory in after.directories.sorted(by: { $0.count < $1.count }) {
                try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
            for (path, bytes) in contents {
                try Data(bytes).write(to: URL(fileURLWithPath: path))
            }
            return story.joined(separator: "; ")
        }
    }
}

/// What a power loss does to one file's unsynced bytes.
public enum Loss: String, CaseIterable, Sendable {
    /// None reached the disk.
    case dropAll
    /// All reached it (what a process kill leaves).
    case keepAll
    /// The writes reached it in order up to a random byte.
    case tornPrefix
    /// Each 4 KiB page (or 512-byte sector) reached it or not, independently.
    case randomPages
    /// Every page but one reached it (writeback in any order, cut short by one page).
    case onePageLost
}

/// The operation at the crash point failed, as does every one after it.
public struct SimulatedPowerLoss: Error, CustomStringConvertible {
    public let operation: Int
    public var description: String { "simulated power loss at disk operation \(operation)" }
}

/// One file's bytes: what is synced, what the page cache holds, and the changes in between.
private struct Inode {
    var durable: [UInt8]
    var current: [UInt8]
    var pending: [Pending] = []

    enum Pending {
        case write(Int, [UInt8])
        case truncate(Int)
    }

    mutating func apply(_ change: Pending) {
        Inode.apply(change, to: &current)
        pending.append(change)
    }

    mutating func sync() {
        durable = current
        pending.removeAll()
    }

    static func apply(_ change: Pending, to bytes: inout [UInt8]) {
        switch change {
        case .write(let offset, let data):
            if bytes.count < offset + data.count {
                bytes += [UInt8](repeating: 0, count: offset + data.count - bytes.count)
            }
            bytes.replaceSubrange(offset..<offset + data.count, with: data)
        case .truncate(let length):
            if length < bytes.count {
                bytes.removeSubrange(length...)
            } else {
                bytes += [UInt8](repeating: 0, count: length - bytes.count)
            }
        }
    }

    func afterPowerLoss(_ loss: Loss, using rng: inout SplitMix64) -> [UInt8] {
        guard !pending.isEmpty else { return durable }
        switch loss {
        case .dropAll:
            return durable
        case .keepAll:
            return current
        case .tornPrefix:
            var bytes = durable
            let cut = Int.random(in: 0..<pending.count, using: &rng)
            for change in pending.prefix(cut) { Inode.apply(change, to: &bytes) }
            if case .write(let offset, let data) = pending[cut] {
                Inode.apply(.write(offset, Array(data.prefix(Int.random(in: 0...data.count, using: &rng)))), to: &bytes)
            } else {
                Inode.apply(pending[cut], to: &bytes)
            }
            return bytes
        case .randomPages, .onePageLost:
            // Pages of the page cache (4 KiB) or sectors of the disk (512 B): either can land alone.
            let page = Bool.random(using: &rng) ? 4096 : 512
            var length = durable.count
            if current.count < durable.count, Bool.random(using: &rng) { length = current.count }
            var bytes = durable + [UInt8](repeating: 0, count: max(0, current.count - durable.count))
            let changed = stride(from: 0, to: current.count, by: page).map { $0..<min(current.count, $0 + page) }
                .filter { bytes[$0] != current[$0] }
            let lost = changed.isEmpty ? 0..<0 : changed[Int.random(in: 0..<changed.count, using: &rng)]
            for range in changed {
                let reached = loss == .onePageLost ? range != lost : Bool.random(using: &rng)
                if reached {
                    bytes.replaceSubrange(range, with: current[range])
                    length = max(length, range.upperBound)
                }
            }
            return Array(bytes.prefix(length))
        }
    }
}

/// Files and directories by path.
private struct Namespace {
    var files: [String: Int] = [:]
    var directories: Set<String> = []

    mutating func apply(_ change: Change) {
        switch change {
        case .link(let path, let inode): files[path] = inode
        case .unlink(let path): files[path] = nil
        case .rename(let source, let target):
            if let inode = files[source] {
                files[target] = inode
                files[source] = nil
            } else if directories.contains(source) {
                // A directory takes everything under it along.
                let moved = { (path: String) -> String? in
                    path == source ? target : path.hasPrefix(source + "/") ? target + path.dropFirst(source.count) : nil
                }
                directories = Set(directories.map { moved($0) ?? $0 })
                files = Dictionary(uniqueKeysWithValues: files.map { (moved($0.key) ?? $0.key, $0.value) })
            }
        case .makeDirectory(let path): directories.insert(path)
        }
    }
}

/// A change to a directory's entries.
private enum Change {
    case link(String, Int)
    case unlink(String)
    case rename(String, String)
    case makeDirectory(String)

    /// The directory whose sync makes it durable.
    var directory: String {
        switch self {
        case .link(let path, _), .unlink(let path), .rename(_, let path), .makeDirectory(let path):
            return (path as NSString).deletingLastPathComponent
        }
    }
}
