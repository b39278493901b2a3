import Foundation
import Imaging
import RAMModel
import TensorCore

/// Runs the effects that are background jobs, each on its own thread, and posts their
/// results (tagged with the job's id) to the loop. Cancellation is a flag per job, checked
/// by the restorer between tiles and by the grid between cells; a feature pass cannot be
/// interrupted, so a superseded one simply finishes and its result is dropped by `update`.
public final class EffectRunner: @unchecked Sendable {
    public let restorer: Restorer
    /// The second model's (`--compare`).
    public let restorerB: Restorer?
    private let post: @Sendable (Message) -> Void
    /// Reads an image of the list (`Effect.loadImage`); set by the loop when there is a list.
    public var readImage: (@Sendable (String) throws -> GalleryImage)?
    private let lock = NSLock()
    private var flags: [JobID: CancellationFlag] = [:]
    /// Feature requests: only the newest waiting one runs (scrolling through blocks must not
    /// queue a forward pass per key press).
    private let featureWorker: LatestOnlyWorker

    /// Above this many pixels on the longer side, feature taps are computed on a downscaled
    /// copy (one forward pass over the whole image; a 4K photo would not fit in time or memory).
    public static let featureMaxSide = 768
    /// The grid works on the clean image downscaled to this longer side (its cells are small).
    public static let gridMaxSide = 256

    public init(restorer: Restorer, restorerB: Restorer? = nil, post: @escaping @Sendable (Message) -> Void) {
        self.restorer = restorer
        self.restorerB = restorerB
        self.post = post
        self.featureWorker = LatestOnlyWorker(name: "ram.features")
    }

    /// Starts the job an effect asks for; returns false for effects that are not jobs
    /// (`quit`, `redraw`), which the loop handles.
    @discardableResult
    public func run(_ effect: Effect) -> Bool {
        switch effect {
        case .scoreInput(let image, let reference, let version):
            let post = self.post
            spawn("ram.scores") {
                post(.inputScored(Scores(psnr: psnr(image, reference), ssim: ssim(image, reference)), inputVersion: version))
            }
        case .loadImage(let id, let path):
            guard let read = readImage else {
                post(.imageRead(id, .failure(ImageReadFailure("no reader for a list of images"))))
                return true
            }
            let post = self.post
            spawn("ram.read") {
                do {
                    post(.imageRead(id, .success(try read(path))))
                } catch {
                    post(.imageRead(id, .failure(ImageReadFailure(error, path: path))))
                }
            }
        case .restore(let id, let image, let reference), .restoreWithB(let id, let image, let reference),
            .restorePerTile(let id, let image, let reference):
            let flag = register(id)
            var chosen = self.restorer
            if case .restoreWithB = effect {
                guard let b = restorerB else { return true }
                chosen = b
            }
            var perTile = false
            if case .restorePerTile = effect {
                chosen.statistics = .perTile
                chosen.firstPaint = false
                perTile = true
            }
            let restorer = chosen, post = self.post, paints = !perTile
            spawn("ram.restore") { [weak self] in
                let start = Date()
                do {
                    let result = try restorer.restoreGuarded(image, cancel: flag) { if paints { post(.restoreProgress(id, $0)) } }
                    if let (out, outcome) = result {
                        let scores = reference.map { Scores(psnr: psnr(out, $0), ssim: ssim(out, $0)) }
                        post(.restoreFinished(id, out, scores, seconds: Date().timeIntervalSince(start), guard: outcome))
                    } else {
                        post(.jobCancelled(id))
                    }
                } catch {
                    post(.jobFailed(id, "\(error)"))
                }
                self?.unregister(id)
            }
        case .computeFeatures(let id, let image, let block, let region):
            let network = restorer.network, networkB = restorerB?.network, post = self.post
            let context = restorer.context
            let tileSize = restorer.tiling.tileSize
            featureWorker.submit {
                post(.featuresStarted(id))
                // The whole image (downscaled when large), or a region at full resolution.
                let (source, scale) =
                    region.map { r in (image.cropped(x: r.x, y: r.y, width: r.width, height: r.height), 1.0) }
                    ?? EffectRunner.limited(image, maxSide: EffectRunner.featureMaxSide)
                func statistics(_ net: RAMNetwork) -> StatisticsSource {
                    // A region adapts to the whole image as the first paint does: statistics pooled
                    // from four full-resolution crops spread over it.
                    guard region != nil else { return .own }
                    let rects = StatisticsPool.cropRects(height: image.height, width: image.width, side: tileSize)
                    let crops = rects.map { image.cropped(x: $0.x, y: $0.y, width: $0.width, height: $0.height).tensor }
                    return .fixed(StatisticsPool.measure(net, crops: crops, context: context))
                }
                var data = FeatureData(
                    block: block,
                    taps: EffectRunner.taps(network, block: block, image: source, context: context, statistics: statistics(network)),
                    imageScale: scale)
                data.region = region
                if let networkB {
                    // The same tap of the second model, when it has that block at that width.
                    let a = network.weights.blocks.first { $0.name == block }
                    if let b = networkB.weights.blocks.first(where: { $0.name == block }), b.width == a?.width {
                        data.tapsB = EffectRunner.taps(
                            networkB, block: block, image: source, context: context, statistics: statistics(networkB))
                    } else {
                        data.missingB = networkB.weights.blocks.contains { $0.name == block }
                            ? "B's \(block) has another width" : "B has no block \(block)"
                    }
                }
                post(.featuresReady(id, data))
            }
        case .computeGrid(let id, let clean):
            let flag = register(id)
            let restorer = self.restorer, restorerB = self.restorerB, post = self.post
            spawn("ram.grid") { [weak self] in
                let start = Date()
                let (small, _) = EffectRunner.limited(clean, maxSide: EffectRunner.gridMaxSide)
                do {
                    for (i, degradation) in Degradation.standardFive.enumerated() {
                        if flag.isCancelled { break }
                        let degraded = degradation.apply(to: small, seed: UInt64(i + 1))
                        var cell = GridCell(
                            degradation: degradation, degraded: degraded, degradedPSNR: psnr(degraded, small),
                            degradedSSIM: ssim(degraded, small))
                        cell.expectsB = restorerB != nil
                        post(.gridCellReady(id, index: i, cell))
                        guard let restored = try restorer.restore(degraded, cancel: flag) else { break }
                        cell.restored = restored
                        cell.restoredPSNR = psnr(restored, small)
                        cell.restoredSSIM = ssim(restored, small)
                        post(.gridCellReady(id, index: i, cell))
                        if let restorerB {  // the second model's row
                            guard let b = try restorerB.restore(degraded, cancel: flag) else { break }
                            cell.restoredB = b
                            cell.restoredBPSNR = psnr(b, small)
                            cell.restoredBSSIM = ssim(b, small)
                            post(.gridCellReady(id, index: i, cell))
                        }
                    }
                    post(flag.isCancelled ? .jobCancelled(id) : .gridFinished(id, seconds: Date().timeIntervalSince(start)))
                } catch {
                    post(.jobFailed(id, "\(error)"))
                }
                self?.unregister(id)
            }
        case .degrade(let id, let clean, let degradation, let seed):
            let post = self.post
            spawn("ram.degrade") { post(.degraded(id, degradation.apply(to: clean, seed: seed), degradation)) }
        case .save(let request):
            let post = self.post
            spawn("ram.save") {
                let image = request.render()
                do {
                    let path = try ViewExport.writeNumbered(image, directory: request.directory, stem: request.stem)
                    post(.saved(path: path, width: image.width, height: image.height, summary: request.summary))
                } catch {
                    post(.saveFailed("\(error)"))
                }
            }
        case .cancel(let id):
            lock.lock()
            let flag = flags[id]
            lock.unlock()
            flag?.cancel()
        case .redraw, .quit:
            return false
        }
        return true
    }

    /// Cancels every job (on quit).
    public func cancelAll() {
        lock.lock()
        let all = Array(flags.values)
        lock.unlock()
        all.forEach { $0.cancel() }
    }

    private func register(_ id: JobID) -> CancellationFlag {
        let flag = CancellationFlag()
        lock.lock()
        flags[id] = flag
        lock.unlock()
        return flag
    }

    private func unregister(_ id: JobID) {
        lock.lock()
        flags[id] = nil
        lock.unlock()
    }

    private func spawn(_ name: String, _ body: @escaping @Sendable () -> Void) {
        let t = Thread {
            lowerPriority()
            body()
        }
        t.name = name
        t.stackSize = 8 << 20
        t.start()
    }

    /// Every branch of `block`'s taps for `image`, cropped to the image.
    static func taps(
        _ network: RAMNetwork, block: String, image: RGBImage, context: ExecutionContext, statistics: StatisticsSource = .own
    ) -> [TapBranch: Tensor] {
        let names = Set(TapBranch.allCases.map { $0.tap(of: block) })
        let (_, taps) = network.forward(image.tensor, context: context, taps: TapRequest(names), statistics: statistics)
        var byBranch: [TapBranch: Tensor] = [:]
        for branch in TapBranch.allCases {
            let name = branch.tap(of: block)
            guard let t = taps[name] else { continue }
            byBranch[branch] = FeatureMaps.cropToImage(t, tap: name, imageWidth: image.width, imageHeight: image.height)
        }
        return byBranch
    }

    /// The image, or a copy downscaled so its longer side is at most `maxSide`, and the
    /// factor (original pixels per copy pixel).
    static func limited(_ image: RGBImage, maxSide: Int) -> (RGBImage, Double) {
        let side = max(image.width, image.height)
        guard side > maxSide else { return (image, 1) }
        let f = Double(side) / Double(maxSide)
        let w = max(1, Int((Double(image.width) / f).rounded())), h = max(1, Int((Double(image.height) / f).rounded()))
        return (image.resized(width: w, height: h), Double(image.width) / Double(w))
    }
}

/// Job threads run at nice +10, so that on a machine with fewer cores than busy threads the
/// loop (which encodes and draws) wins the CPU when a key arrives. Threads of OpenBLAS and
/// Dispatch that a job fans out to keep their own priority.
private func lowerPriority() {
    // On Linux the nice value is per thread and `who` 0 is the calling thread (setpriority(2)).
    _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
}

/// One background thread that runs submitted work, keeping only the newest waiting item.
final class LatestOnlyWorker: @unchecked Sendable {
    private let condition = NSCondition()
    private var pending: (@Sendable () -> Void)?

    init(name: String) {
        let t = Thread {  // the thread keeps the worker alive; it parks when idle
            lowerPriority()
            self.loop()
        }
        t.name = name
        t.stackSize = 8 << 20
        t.start()
    }

    func submit(_ work: @escaping @Sendable () -> Void) {
        condition.lock()
        pending = work
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while pending == nil { condition.wait() }
            let work = pending!
            pending = nil
            condition.unlock()
            work()
        }
    }
}
