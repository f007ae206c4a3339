import Foundation
import KithLog

extension DataDirectory {
    /// Makes `generation` the store in force in one atomic rename of `projections.current`
    /// (written and synced first, then the directory synced), so a reader opens either the old
    /// store or the new one.
    public func swapProjections(to generation: Int) throws {
        let name = (projections(generation: generation) as NSString).lastPathComponent
        let temporary = projectionsPointer + ".tmp"
        try durablyWrite(Data((name + "\n").utf8), to: temporary)
        guard rename(temporary, projectionsPointer) == 0 else {
            throw IngestError(.io, "cannot rename \(temporary) to \(projectionsPointer): \(String(cString: strerror(errno)))")
        }
        syncDirectory()
        KillPoint.rename.reached()
    }

    /// Deletes a generation's files (the database, its WAL and shared-memory files).
    public func removeProjections(generation: Int) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: projections(generation: generation) + suffix) }
    }

    /// Store generations present on disk.
    public var projectionGenerations: [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.filter { $0 == "projections.sqlite" || ($0.hasPrefix("projections-") && $0.hasSuffix(".sqlite")) }
            .map { generation(of: $0) }.sorted()
    }

    public func durablyWrite(_ data: Data, to file: String) throws {
        let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw IngestError(.io, "cannot create \(file): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == data.count, fsync(fd) == 0 else {
            throw IngestError(.io, "cannot write \(file): \(String(cString: strerror(errno)))")
        }
        KillPoint.fsync.reached()
    }

    func syncDirectory() {
        let fd = open(path, O_RDONLY)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
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
