import Foundation

/// Where background jobs post their results for the loop to pick up (bubbletea's message
/// channel). Thread-safe; the loop drains it once per iteration.
public final class MessageQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [Message] = []

    public init() {}

    public func post(_ message: Message) {
        lock.lock()
        messages.append(message)
        lock.unlock()
    }

    /// Everything posted so far, oldest first.
    public func drain() -> [Message] {
        lock.lock()
        defer { lock.unlock() }
        let out = messages
        messages.removeAll(keepingCapacity: true)
        return out
    }

    public var isEmpty: Bool {
        lock.lock()
        defer { lock.unlock() }
        return messages.isEmpty
    }
}
