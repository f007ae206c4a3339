import Foundation

/// How much one key may ask, and when its lookups look like an enumeration. The defaults let a
/// CRM page through profiles at full speed in bursts while making the 10,000 guesses behind a
/// masked phone (`+86 151****3101`) take minutes, and raise the alarm long before the end.
public struct AccessLimits: Sendable {
    /// Requests a second one key may make, on average.
    public var requestsPerSecond: Double = 20
    /// Requests one key may make at once before the average applies.
    public var burst: Int = 100
    /// Identifier lookups by one key without `pii:read` within `alarmWindow` that raise the alarm.
    public var maskedLookupAlarm: Int = 200
    public var alarmWindow: Double = 600

    public init() {}
}

/// Token buckets, one a key: each request takes a token; tokens come back at the key's rate.
final class RateLimiter: @unchecked Sendable {
    private let limits: AccessLimits
    private let lock = NSLock()
    private var buckets: [String: (tokens: Double, at: Double)] = [:]

    init(_ limits: AccessLimits) { self.limits = limits }

    /// nil when the request may go ahead, else the whole seconds until it may.
    func take(for key: String, now: Double = Date().timeIntervalSinceReferenceDate) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        let capacity = Double(limits.burst)
        var bucket = buckets[key] ?? (capacity, now)
        bucket.tokens = min(capacity, bucket.tokens + (now - bucket.at) * limits.requestsPerSecond)
        bucket.at = now
        defer { buckets[key] = bucket }
        guard bucket.tokens >= 1 else {
            return max(1, Int(((1 - bucket.tokens) / limits.requestsPerSecond).rounded(.up)))
        }
        bucket.tokens -= 1
        return nil
    }
}

/// Counts identifier lookups by keys that see masked data; says once a window when a key passes
/// the alarm level.
final class LookupWatch: @unchecked Sendable {
    private let limits: AccessLimits
    private let lock = NSLock()
    private var windows: [String: (start: Double, count: Int, raised: Bool)] = [:]

    init(_ limits: AccessLimits) { self.limits = limits }

    /// The number of lookups in the key's window when this one raises the alarm, else nil.
    func count(for key: String, now: Double = Date().timeIntervalSinceReferenceDate) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        var window = windows[key] ?? (now, 0, false)
        if now - window.start >= limits.alarmWindow { window = (now, 0, false) }
        window.count += 1
        let raise = !window.raised && window.count > limits.maskedLookupAlarm
        if raise { window.raised = true }
        windows[key] = window
        return raise ? window.count : nil
    }
}
