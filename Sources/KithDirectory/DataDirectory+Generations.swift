import Foundation
import KithLog

extension DataDirectory {
    /// Makes `generation` the store in force in one atomic rename of `projections.current`
    /// (written and synced first, then the directory synced), so a reader opens either the old
    /// store or the new one.
    public func swapProjections(to generation: Int) throws {
        let name = (projections(generation: generation) as NSString).lastPathComponent
        // The directory sync also makes the new generation's own entry (made by SQLite) durable.
        try durablyReplace(projectionsPointer, with: Data((name + "\n").utf8))
        KillPoint.rename.reached()
    }

    /// Deletes a generation's files (the database, its WAL and shared-memory files).
    public func removeProjections(generation: Int) {
        for suffix in ["", "-wal", "-shm"] {
            try? FileManager.default.removeItem(atPath: projections(generation: generation) + suffix)
        }
    }

    /// Store generations present on disk.
    public var projectionGenerations: [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.filter { $0 == "projections.sqlite" || ($0.hasPrefix("projections-") && $0.hasSuffix(".sqlite")) }
            .map { generation(of: $0) }.sorted()
    }

    /// Replaces `file`, a file in this directory, so that a crash or a power loss leaves its old
    /// contents or the new ones, never a mixture: the new ones are written beside it and synced,
    /// renamed over it, and the directory synced.
    public func durablyReplace(_ file: String, with data: Data, mode: mode_t = 0o644) throws {
        let temporary = file + ".\(getpid()).tmp"
        do {
            let handle = try disk.open(temporary, flags: O_WRONLY | O_CREAT | O_TRUNC, mode: mode)
            try data.withUnsafeBytes { try handle.write($0, at: 0) }
            try handle.sync()
            try disk.rename(temporary, to: file)
            try disk.syncDirectory(FilePaths.parent(of: file))
        } catch {
            try? disk.removeFile(temporary)
            throw DirectoryError(.io, "cannot replace \(file): \(error)")
        }
    }

    /// Makes renames in the data directory durable.
    public func syncDirectory() throws {
        do { try disk.syncDirectory(path) } catch { throw DirectoryError(.io, "cannot sync \(path): \(error)") }
    }
}

extension DataDirectory {
    /// The generation number of a store file (0 for `projections.sqlite`).
    public func generation(of file: String) -> Int {
        let name = (file as NSString).lastPathComponent
        guard name.hasPrefix("projections-"), name.hasSuffix(".sqlite") else { return 0 }
        return Int(name.dropFirst("projections-".count).dropLast(".sqlite".count)) ?? 0
    }
}
