import Imaging

/// One column of the degradation grid: the clean image degraded one way, restored (by A,
/// and by B when there is a second model), each scored against the clean image.
public struct GridCell: Sendable {
    public var degradation: Degradation
    public var degraded: RGBImage
    /// nil while the restoration of this cell is running.
    public var restored: RGBImage?
    public var degradedPSNR: Double
    public var degradedSSIM: Double
    public var restoredPSNR: Double?
    public var restoredSSIM: Double?
    /// Whether a second model restores this cell too (its row is then expected).
    public var expectsB = false
    public var restoredB: RGBImage?
    public var restoredBPSNR: Double?
    public var restoredBSSIM: Double?

    /// Every row of the column is done.
    public var isComplete: Bool { restored != nil && (!expectsB || restoredB != nil) }

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
