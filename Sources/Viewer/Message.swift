import Imaging
import RAMModel
import TerminalUI

/// Everything that can happen to the viewer: input from the terminal, the clock, and
/// results posted back by background jobs (each tagged with its job's id).
public enum Message: Sendable {
    /// The first message: starts the restoration.
    case start
    case key(Key)
    case resize(TerminalSize)
    /// Seconds since the loop started (drives the A/B flicker).
    case tick(Double)
    /// PSNR/SSIM of the input against the reference (computed once, off the loop).
    case inputScored(Scores)
    case restoreProgress(JobID, TileProgress)
    case restoreFinished(JobID, RGBImage, Scores?, seconds: Double)
    case featuresReady(JobID, FeatureData)
    /// A grid column changed (degraded first, then restored).
    case gridCellReady(JobID, index: Int, GridCell)
    case gridFinished(JobID, seconds: Double)
    /// The job stopped because it was cancelled.
    case jobCancelled(JobID)
    case jobFailed(JobID, String)
}
