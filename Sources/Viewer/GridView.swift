import Foundation
import Imaging
import TerminalUI

/// The degradation grid: the clean image degraded five ways, each restored (by A, and by B
/// in a third row when there is a second model), with scores.
enum GridView {
    static let scoreStyle = Style(fg: RGB(170, 220, 170))

    static func draw(_ state: ViewerState, _ layout: ScreenLayout, into buffer: inout CellBuffer, cache: RenderCache) {
        let input = state.input.value
        let grid = state.gridLayout(layout)
        let jobID = state.jobs.grid?.id ?? 0
        let clean = state.hasReference ? "the reference" : "the input (no reference)"
        let side = max(input.width, input.height)
        let size = side > EffectRunner.gridMaxSide ? ", at \(EffectRunner.gridMaxSide) px" : ""
        let rows = state.models == 1 ? "bottom: restored" : "middle: restored by A · bottom: by B"
        buffer.drawText(x: grid.caption.x, y: grid.caption.y,
                        "top: \(clean) degraded\(size) · \(rows) · PSNR / SSIM against the clean image"
                            .truncated(toColumns: grid.caption.width), style: CompareView.captionStyle)
        let running = state.jobs.grid?.isRunning == true
        for (i, column) in grid.columns.enumerated() {
            let degradation = Degradation.standardFive[i]
            ImagePane.centered(degradation.description, in: column.title, into: &buffer, style: Style(fg: .white, bold: true))
            guard let cell = state.grid[i]?.value else {
                ImagePane.message(running ? "degrading…" : "—", in: column.degraded, into: &buffer)
                continue
            }
            let w = cell.degraded.width, h = cell.degraded.height
            let pd = ImagePane.placement(state, in: column.degraded, imageWidth: w, imageHeight: h)
            ImagePane.draw(Picture(cell.degraded, id: AnyHashable("grid\(jobID)-\(i)-degraded")), pd, into: &buffer, cache: cache)
            ImagePane.drawCursor(state, pd, into: &buffer, imageWidth: w, imageHeight: h)
            ImagePane.centered(
                scores("in", cell.degradedPSNR, cell.degradedSSIM, width: column.degradedScores.width),
                in: column.degradedScores, into: &buffer, style: CompareView.captionStyle)
            var rows = [(cell.restored, cell.restoredPSNR, cell.restoredSSIM, column.restored, column.restoredScores, "A")]
            if let area = column.restoredB, let scoresArea = column.restoredBScores {
                rows.append((cell.restoredB, cell.restoredBPSNR, cell.restoredBSSIM, area, scoresArea, "B"))
            }
            let label = rows.count > 1
            for (k, row) in rows.enumerated() {
                let (image, psnr, ssim, area, scoresArea, model) = row
                if let image, let psnr, let ssim {
                    let pr = ImagePane.placement(state, in: area, imageWidth: w, imageHeight: h)
                    ImagePane.draw(
                        Picture(image, id: AnyHashable("grid\(jobID)-\(i)-restored\(k)")), pr, into: &buffer, cache: cache)
                    ImagePane.drawCursor(state, pr, into: &buffer, imageWidth: w, imageHeight: h)
                    ImagePane.centered(
                        scores(label ? model : "out", psnr, ssim, width: scoresArea.width), in: scoresArea,
                        into: &buffer, style: scoreStyle)
                } else {
                    let waiting = k == 0 || cell.restored != nil ? "restoring…" : "waiting for A…"
                    ImagePane.message(running ? waiting : "cancelled", in: area, into: &buffer)
                }
            }
        }
    }

    /// "in 20.79 dB 0.7357", shortened until it fits the column.
    static func scores(_ label: String, _ psnr: Double, _ ssim: Double, width: Int) -> String {
        guard ssim.isFinite else {  // smaller than SSIM's window
            let c = ["\(label) \(Format.psnr(psnr)) n/a", String(format: "%.2f dB n/a", psnr), String(format: "%.1f", psnr)]
            return c.first { $0.count <= width } ?? c.last!
        }
        let candidates = [
            "\(label) \(Format.psnr(psnr)) \(Format.ssim(ssim))",
            String(format: "%@ %.2f dB %.3f", label, psnr, ssim),
            String(format: "%@ %.1f %.2f", label, psnr, ssim),
            String(format: "%.2f dB %.3f", psnr, ssim),
            String(format: "%.1f %.2f", psnr, ssim),
        ]
        return candidates.first { $0.count <= width } ?? candidates.last!
    }
}
