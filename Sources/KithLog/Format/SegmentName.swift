/// Segment files are named by their first global position, zero-padded so names sort as numbers.
public enum SegmentName {
    public static let segmentExtension = "seg"
    public static let keysExtension = "keys"

    public static func file(firstPosition: UInt64, extension ext: String) -> String {
        let digits = String(firstPosition)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + "." + ext
    }

    public static func firstPosition(ofFile name: String) -> UInt64? {
        guard name.hasSuffix("." + segmentExtension) else { return nil }
        return UInt64(name.dropLast(segmentExtension.count + 1))
    }

    /// The `.keys` file beside a segment file.
    public static func keysPath(of segmentPath: String) -> String {
        sidecarPath(of: segmentPath, extension: keysExtension)
    }

    /// The file with extension `ext` beside a segment file (its derived files: `.keys`, `.cols`,
    /// `.activekeys`).
    public static func sidecarPath(of segmentPath: String, extension ext: String) -> String {
        String(segmentPath.dropLast(segmentExtension.count)) + ext
    }

    /// The segment file starts with this 16-byte header: magic, format version, first position.
    public static let magic: [UInt8] = Array("KITHSEG1".utf8)
    public static let headerSize = 16
}
