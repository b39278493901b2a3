import Imaging

/// One column of the degradation grid: the clean image degraded one way, restored, and both
/// scored against the clean image.
public struct GridCell: Sendable {
    public var degradation: Degradation
    public var degraded: RGBImage
    /// nil while the restoration of this cell is running.
    public var restored: RGBImage?
    public var degradedPSNR: Double
    public var degradedSSIM: Double
    public var restoredPSNR: Double?
    public var restoredSSIM: Double?

    public init(
        degradation: Degradation, degraded: RGBImage, restored: RGBImage? = nil, degradedPSNR: Double,
        degradedSSIM: Double, restoredPSNR: Double? = nil, restoredSSIM: Double? = nil
    ) {
        self.degradation = degradation
        self.degraded = degraded
        self.restored = restored
        self.degradedPSNR = degradedPSNR
        self.degradedSSIM = degradedSSIM
        self.restoredPSNR = restoredPSNR
        self.restoredSSIM = restoredSSIM
    }
}
