extension Duration {
    /// The duration as seconds, for the timings summaries and benchmarks report (its
    /// `components` split it into whole seconds and attoseconds).
    public var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
