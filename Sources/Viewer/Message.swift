import Imaging
import RAMModel
import TerminalUI

/// Everything that can happen to the viewer: input from the terminal, the clock, and
/// results posted back by background jobs (each tagged with its job's id).
public enum Message: Sendable {
    /// The first message: starts the restoration.
    case start
    case key(Key)
    case mouse(MouseEvent)
    case resize(TerminalSize)
    /// Seconds since the loop started (drives the A/B flicker).
    case tick(Double)
    /// PSNR/SSIM of the input against the reference (computed once, off the loop), for the
    /// input of this version.
    case inputScored(Scores, inputVersion: Int)
    case restoreProgress(JobID, TileProgress)
    /// `guard`: what the weights' do-no-harm guard measured and kept (nil without one).
    case restoreFinished(JobID, RGBImage, Scores?, seconds: Double, guard: ChangeGuard.Outcome? = nil)
    /// The feature pass of the job began (it may have waited for an earlier one).
    case featuresStarted(JobID)
    case featuresReady(JobID, FeatureData)
    /// A grid column changed (degraded first, then restored).
    case gridCellReady(JobID, index: Int, GridCell)
    case gridFinished(JobID, seconds: Double)
    /// `w` wrote the view: the file, its size in pixels, what it shows.
    case saved(path: String, width: Int, height: Int, summary: String)
    case saveFailed(String)
    /// The input degraded again (`d`/`D`).
    case degraded(JobID, RGBImage, Degradation)
    /// The job stopped because it was cancelled.
    case jobCancelled(JobID)
    case jobFailed(JobID, String)
    /// An image of the list was read (`Effect.loadImage`); `Gallery.update` takes it.
    case imageRead(JobID, Result<GalleryImage, ImageReadFailure>)
}
