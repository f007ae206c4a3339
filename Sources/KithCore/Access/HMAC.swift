/// HMAC-SHA256 (RFC 2104): keyed digests for what must not be reversible or forgeable without
/// the installation's secret (profile ids, event ids shown masked, the audit chain).
public enum HMAC {
    public static func sha256(key: [UInt8], message: some Sequence<UInt8>) -> [UInt8] {
        HMACKey(key).sha256(message)
    }

    public static func hex(key: [UInt8], message: some Sequence<UInt8>) -> String {
        Hex.string(sha256(key: key, message: message))
    }
}

/// A key made ready for many HMACs: its padded blocks are absorbed once, so each message costs
/// its own SHA-256 blocks and one more (a profile id: two compressions).
public struct HMACKey: Sendable, Equatable {
    let inner: [UInt32]
    let outer: [UInt32]

    public init(_ key: [UInt8]) {
        var block = key.count > 64 ? SHA256.digest(key) : key
        block += [UInt8](repeating: 0, count: 64 - block.count)
        inner = SHA256.absorb(block: block.map { $0 ^ 0x36 }, into: SHA256.initialState)
        outer = SHA256.absorb(block: block.map { $0 ^ 0x5c }, into: SHA256.initialState)
    }

    public func sha256(_ message: some Sequence<UInt8>) -> [UInt8] {
        let innerDigest = SHA256.digest(message, resuming: inner, afterBytes: 64)
        return SHA256.digest(innerDigest, resuming: outer, afterBytes: 64)
    }
}

/// Lowercase hexadecimal, two digits a byte.
public enum Hex {
    public static func string(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func bytes(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        func value(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            default: return nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        var i = 0
        while i < utf8.count {
            guard let high = value(utf8[i]), let low = value(utf8[i + 1]) else { return nil }
            out.append(high << 4 | low)
            i += 2
        }
        return out
    }
}
