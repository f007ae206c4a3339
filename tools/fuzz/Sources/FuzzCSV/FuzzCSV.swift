// libFuzzer target: CSV records read under a mapping (CSVFuzzInvariants.header is the header).
@_spi(Fuzzing) import KithIngest

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    if !CSVFuzzInvariants.records(UnsafeBufferPointer(start: data, count: size)) {
        fatalError("a record was lost or counted twice, a landed line is not canonical, or chunking changed the result")
    }
    return 0
}
