// libFuzzer target: the NDJSON event-line parser.
@_spi(Fuzzing) import KithCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEventLine(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    if !FuzzInvariants.eventLine(UnsafeBufferPointer(start: data, count: size)) {
        fatalError("an accepted line's canonical form does not parse back to itself")
    }
    return 0
}
