import Imaging
import RAMModel

/// What `update` asks the outside world to do. The loop hands these to the `EffectRunner`
/// (background jobs) or acts on them itself (quit, redraw); `update` never does I/O.
public enum Effect: Equatable, Sendable {
    /// Restore `image` tile by tile, posting each tile; score against `reference` at the end.
    case restore(JobID, image: RGBImage, reference: RGBImage?)
    /// The same with the second model (`--compare`); its results carry this id.
    case restoreWithB(JobID, image: RGBImage, reference: RGBImage?)
    /// Restore `image` with per-tile statistics (256-px tiles, each adapting to itself), for
    /// comparing tiling with the whole image's semantics; posts only `restoreFinished`.
    case restorePerTile(JobID, image: RGBImage, reference: RGBImage?)
    /// Score the input against the reference (posts `inputScored` with `inputVersion`).
    case scoreInput(image: RGBImage, reference: RGBImage, inputVersion: Int)
    /// Run the network on `image` capturing every branch of `block`.
    /// With `region`, only that part of the image, at full resolution, with statistics pooled
    /// from full-resolution crops of the whole image (`FeatureData.region`).
    case computeFeatures(JobID, image: RGBImage, block: String, region: PixelRect? = nil)
    /// Degrade `clean` five ways (`Degradation.standardFive`), restore and score each (with
    /// both models when there are two).
    case computeGrid(JobID, clean: RGBImage)
    /// Compose the view a `SaveRequest` describes and write it as a numbered PNG (posts
    /// `saved` or `saveFailed`).
    case save(SaveRequest)
    /// Degrade the clean image again (posts `degraded`).
    case degrade(JobID, clean: RGBImage, Degradation, seed: UInt64)
    /// Read an image of the list `ram view A B dir/` opened (posts `imageRead`).
    case loadImage(JobID, path: String)
    /// Stop a job (between tiles); its late results are dropped anyway.
    case cancel(JobID)
    /// Repaint the whole screen (Ctrl-L).
    case redraw
    case quit
}
