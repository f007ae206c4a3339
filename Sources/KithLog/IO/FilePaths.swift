/// Path arithmetic on text. `NSString.deletingLastPathComponent` traps on a one-character
/// relative path (`"A"`) in the Foundation of Swift 6.3 on Linux, so `--data A` crashed Kith;
/// this never traps.
package enum FilePaths {
    /// The directory holding `path`: `"a"` for `"a/b"` (or `"a/b/"`), `"/"` for `"/a"`, and
    /// `""` for a name with no directory part; repeated slashes become one, as Foundation's do.
    package static func parent(of path: String) -> String {
        let slash = UInt8(ascii: "/")
        var bytes: [UInt8] = []
        for byte in path.utf8 where !(byte == slash && bytes.last == slash) { bytes.append(byte) }
        if bytes.count > 1, bytes.last == slash { bytes.removeLast() }
        guard let last = bytes.lastIndex(of: slash) else { return "" }
        return last == 0 ? "/" : String(decoding: bytes[..<last], as: UTF8.self)
    }
}
