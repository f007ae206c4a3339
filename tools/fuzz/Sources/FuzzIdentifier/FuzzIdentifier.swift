// libFuzzer target: identifier normalisation.
@_spi(Fuzzing) import KithCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIdentifier(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    if !FuzzInvariants.identifier(UnsafeBufferPointer(start: data, count: size)) {
        fatalError("normalisation is not idempotent for this input")
    }
    return 0
}
