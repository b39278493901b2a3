import RAMModel
/// Every background job gets a fresh id; results carry it, and `update` drops any result
/// whose id is not the current job of its kind (cancelled or superseded).
public typealias JobID = Int

public enum JobKind: String, Hashable, Sendable {
    case restore, restoreB, features, grid
    /// The same input restored with per-tile statistics, for |restored − per-tile|.
    case perTile
}

/// One background job as the UI sees it.
public struct JobStatus: Hashable, Sendable {
    public enum Phase: Hashable, Sendable {
        case running
        case finished(seconds: Double)
        case cancelled
        case failed(String)
    }

    public var id: JobID
    public var kind: JobKind
    public var done: Int
    public var total: Int
    public var phase: Phase
    /// What it works on, for the status line ("encoder_level2.3", "noise:25").
    public var detail: String
    /// Whether the work has begun on its thread (a feature pass waits while an earlier one,
    /// which cannot be interrupted, finishes).
    public var started = true
    /// What a job that has not started waits for ("the taps of encoder_level1.0").
    public var waitingFor: String?
    /// Which result a restoration is painting (its first paint, then the exact result).
    public var stage: RestoreStage?

    /// A restoration's step has finished.
    mutating func advance(_ tile: TileProgress) {
        done = tile.done
        total = tile.total
        stage = tile.stage
    }

    /// The job has finished after `seconds`.
    mutating func finish(seconds: Double) {
        done = total
        phase = .finished(seconds: seconds)
    }

    /// "3/12", "first paint 3/12": how far a restoration is, for labels and the panel.
    public var progressText: String {
        (stage == .firstPaint ? "first paint " : "") + "\(done)/\(total)"
    }

    public init(id: JobID, kind: JobKind, done: Int = 0, total: Int = 0, phase: Phase = .running, detail: String = "") {
        self.id = id
        self.kind = kind
        self.done = done
        self.total = total
        self.phase = phase
        self.detail = detail
    }

    public var isRunning: Bool { phase == .running }
    public var fraction: Double { total > 0 ? Double(done) / Double(total) : 0 }
}

/// The current job of each kind (at most one each; a new request replaces the old one).
public struct Jobs: Hashable, Sendable {
    public var restore: JobStatus?
    /// The restoration by the second model (`--compare`).
    public var restoreB: JobStatus?
    public var features: JobStatus?
    public var grid: JobStatus?
    public var perTile: JobStatus?

    public init() {}

    public var all: [JobStatus] { [restore, restoreB, features, grid, perTile].compactMap { $0 } }
    public var running: [JobStatus] { all.filter(\.isRunning) }

    public subscript(kind: JobKind) -> JobStatus? {
        get {
            switch kind {
            case .restore: return restore
            case .restoreB: return restoreB
            case .features: return features
            case .grid: return grid
            case .perTile: return perTile
            }
        }
        set {
            switch kind {
            case .restore: restore = newValue
            case .restoreB: restoreB = newValue
            case .features: features = newValue
            case .grid: grid = newValue
            case .perTile: perTile = newValue
            }
        }
    }

    /// Whether `id` is the running job of `kind` (results of anything else are stale).
    public func isCurrent(_ id: JobID, _ kind: JobKind) -> Bool {
        guard let j = self[kind] else { return false }
        return j.id == id && j.isRunning
    }
}
