import KithCore

extension EventLogReading {
    /// The events at `positions`, by position (those past the end of the log are left out):
    /// what timelines and explanations show, read from the log rather than stored twice.
    func events(at positions: [UInt64]) throws -> [UInt64: ProjectedEvent] {
        var events: [UInt64: ProjectedEvent] = [:]
        var scratch = EventLineParser.Scratch()
        try forEachLine(at: positions) { position, line in
            guard let e = ProjectedEvent.decode(line, position: position, scratch: &scratch) else {
                throw ProjectionError.notAnEvent(at: position)
            }
            events[position] = e
        }
        return events
    }
}
