import Foundation
import KithCore
import KithLog

#if canImport(Glibc)
    import Glibc
#endif

/// The data directory's own 32-byte secret (`DIR/secret.key`, 0600): the key of every keyed
/// hash a client may see (profile ids, masked event ids) and of the audit chain. It is made once,
/// on first need, and never leaves the directory, so ids stay stable for one installation and
/// cannot be recomputed, nor the audit chain rewritten, by anyone without a copy of it.
public struct InstallationSecret: Sendable, Equatable {
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// The directory's secret, created (exclusively, synced) if it has none yet. Once this
    /// returns, a power loss cannot take the secret back: ids handed out under it stay valid.
    public static func of(_ directory: DataDirectory) throws -> InstallationSecret {
        let file = directory.secretFile
        if let existing = try read(file) { return existing }
        let disk = directory.disk
        var generator = SystemRandomNumberGenerator()
        let fresh = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let temporary = file + ".\(getpid()).tmp"
        do {
            try disk.createDirectory(directory.path)
            let handle = try disk.open(temporary, flags: O_WRONLY | O_CREAT | O_TRUNC, mode: 0o600)
            try handle.write(Array((Hex.string(fresh) + "\n").utf8), at: 0)
            try handle.sync()
            // link() fails if another process made one first: then theirs is the secret.
            _ = try disk.link(temporary, to: file)
            try disk.removeFile(temporary)
            try disk.syncDirectory(directory.path)
        } catch {
            try? disk.removeFile(temporary)
            throw DirectoryError(.io, "cannot create the installation secret \(file): \(error)")
        }
        guard let installed = try read(file) else {
            throw DirectoryError(.io, "the installation secret vanished while it was being created")
        }
        return installed
    }

    static func read(_ file: String) throws -> InstallationSecret? {
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let bytes = Hex.bytes(text), bytes.count == 32 else {
            throw DirectoryError(
                .io,
                "the installation secret secret.key is damaged (expected 64 hex digits); restore it from a backup of the data directory"
            )
        }
        return InstallationSecret(bytes: bytes)
    }

    /// A key for one purpose, so the secret itself is never used for two things.
    public func key(for purpose: String) -> [UInt8] { HMAC.sha256(key: bytes, message: Array(purpose.utf8)) }

    /// How this installation names profiles.
    public var profileIDs: ProfileIDs { ProfileIDs(key: key(for: "profile ids")) }
}

extension DataDirectory {
    /// `DIR/secret.key`.
    public var secretFile: String { path + "/secret.key" }
}
