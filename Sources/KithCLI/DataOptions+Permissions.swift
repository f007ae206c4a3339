import Foundation

extension DataOptions {
    /// Tightens a data directory that others can read (made by an older version, or copied
    /// with a loose umask) to owner-only, and says so: it holds phones, emails and names. New
    /// files are owner-only already (`umask` in `main`). ArgumentParser calls this for every
    /// command that takes `--data`, after parsing and before running.
    mutating func validate() throws {
        let root = directory.path
        // SQLite's temporary files (an index build's sort spilled to disk: 3 files in one
        // 1,000,000-person rebuild, identifier values in them) go in the data directory, not
        // /var/tmp: no byte of a person's outside it. Read by SQLite when it first makes one,
        // so it is set before any store opens.
        setenv("SQLITE_TMPDIR", root, 1)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isFolder), isFolder.boolValue else { return }
        var tightened = 0
        func tighten(_ path: String, folder: Bool) {
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                let mode = (attributes[.posixPermissions] as? NSNumber)?.uint16Value,
                attributes[.type] as? FileAttributeType != .typeSymbolicLink,
                mode & 0o077 != 0
            else { return }
            let wanted: Int16 = folder ? 0o700 : 0o600
            if (try? FileManager.default.setAttributes([.posixPermissions: wanted], ofItemAtPath: path)) != nil {
                tightened += 1
            }
        }
        tighten(root, folder: true)
        if let walker = FileManager.default.enumerator(atPath: root) {
            while let relative = walker.nextObject() as? String {
                let path = root + "/" + relative
                var folder: ObjCBool = false
                _ = FileManager.default.fileExists(atPath: path, isDirectory: &folder)
                tighten(path, folder: folder.boolValue)
            }
        }
        if tightened > 0 {
            Out.note(
                "note: \(root): \(tightened) file(s) and folder(s) others could read are now owner-only "
                    + "(0600 files, 0700 folders): they hold personal data")
        }
    }
}
