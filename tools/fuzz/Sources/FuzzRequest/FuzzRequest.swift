// libFuzzer target: what the HTTP server decodes from a request (API key headers, limit,
// cursors, identifier references). Hummingbird's own HTTP parsing (swift-nio) is upstream's.
@_spi(Fuzzing) import KithCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequest(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    if !FuzzInvariants.request(UnsafeBufferPointer(start: data, count: size)) {
        fatalError("request decoding accepted something it cannot use, or a cursor did not round-trip")
    }
    return 0
}
