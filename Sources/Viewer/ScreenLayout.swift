import TerminalUI

/// The screen's regions:
///
///     ┌ header: view tabs ───────────────────────────────┬───────────────┐
///     │ content (the view: captions, images, legends)     │ panel (when   │
///     │                                                   │ wide enough)  │
///     └ status line: what happened, job progress, "? help" ┴───────────────┘
public struct ScreenLayout: Hashable, Sendable {
    public var header: Rect
    public var content: Rect
    public var panel: Rect?
    public var status: Rect

    /// Below this the view is replaced by TerminalUI's "too small" message.
    public static let minimum = TerminalSize(cols: 40, rows: 12)
    /// The panel's width up to `panelWidenFromCols` columns; wider terminals get a wider
    /// panel (a quarter of the width, at most `panelMaxWidth`), so names are not cut.
    public static let panelWidth = 34
    public static let panelWidenFromCols = 140
    public static let panelMaxWidth = 56
    /// The side panel appears by itself from this many columns on (the image keeps at least
    /// 2/3); below, the panel key shows it and the status line carries a summary.
    public static let panelFromCols = 100

    public static func panelWidth(cols: Int) -> Int {
        cols >= panelWidenFromCols ? min(panelMaxWidth, cols / 4) : panelWidth
    }

    /// nil when the terminal is smaller than `minimum`. `panel`: nil shows the side panel
    /// from `panelFromCols` columns on; true or false forces it (forced on a narrow terminal
    /// it takes at most half the width).
    public static func compute(_ size: TerminalSize, panel: Bool? = nil) -> ScreenLayout? {
        guard size.cols >= minimum.cols, size.rows >= minimum.rows else { return nil }
        let all = Rect(x: 0, y: 0, width: size.cols, height: size.rows)
        let (header, rest) = all.splitTop(1)
        let (body, status) = rest.splitBottom(1)
        if panel ?? (size.cols >= panelFromCols) {
            let width = min(panelWidth(cols: size.cols), size.cols / 2)
            let (content, panel) = (
                Rect(x: body.x, y: body.y, width: body.width - width, height: body.height),
                Rect(x: body.maxX - width, y: body.y, width: width, height: body.height)
            )
            return ScreenLayout(header: header, content: content, panel: panel, status: status)
        }
        return ScreenLayout(header: header, content: body, panel: nil, status: status)
    }

    /// Rows reserved under the image for a colormap legend (features, error maps).
    public static let legendRows = 2

    /// The caption row above the images and the area for them, for views with one image
    /// area (compare split/flicker, features, error); the legend, when asked, goes below.
    public func imageArea(legend: Bool) -> (caption: Rect, image: Rect, legend: Rect?) {
        let (caption, rest) = content.splitTop(1)
        guard legend else { return (caption, rest, nil) }
        let (image, bottom) = rest.splitBottom(ScreenLayout.legendRows)
        return (caption, image, bottom)
    }

    /// The image area of a view, for the geometry `update` needs (fit scale, pan steps).
    /// `models`: how many models the viewer compares (the feature view and the grid show each).
    public func primaryImageArea(_ mode: ViewMode, compare: CompareSettings, imageAspect: Double = 1, models: Int = 1) -> Rect {
        switch mode {
        case .compare:
            let a = imageArea(legend: false).image
            return compare.style == .sideBySide ? ScreenLayout.sideBySide(a).left : a
        case .features: return ScreenLayout.featureAreas(imageArea(legend: true).image, models: models)[0].image
        case .error: return imageArea(legend: true).image
        case .grid:
            return GridLayout(content: content, count: 5, imageAspect: imageAspect, models: models).columns.first?.degraded
                ?? content
        }
    }

    /// The feature view's maps: the whole area with one model; with two, a half each (A left,
    /// B right), each under a one-row label naming its model.
    public static func featureAreas(_ area: Rect, models: Int) -> [(label: Rect?, image: Rect)] {
        guard models >= 2 else { return [(nil, area)] }
        let (l, r) = sideBySide(area)
        return [l, r].map { half in
            let (label, image) = half.splitTop(1)
            return (label, image)
        }
    }

    /// Two halves with a one-column gutter.
    public static func sideBySide(_ area: Rect) -> (left: Rect, right: Rect) {
        let w = (area.width - 1) / 2
        return (
            Rect(x: area.x, y: area.y, width: w, height: area.height),
            Rect(x: area.maxX - w, y: area.y, width: w, height: area.height)
        )
    }
}

/// The degradation grid: one column per degradation, each a caption, the degraded image,
/// its scores, the restored image and its scores (and with a second model, its restored
/// image and scores in a third row). Image rows are sized to the image's
/// aspect (height / width) so the column has no gaps, and the block is centred vertically.
public struct GridLayout: Hashable, Sendable {
    public struct Column: Hashable, Sendable {
        public var title: Rect
        public var degraded: Rect
        public var degradedScores: Rect
        public var restored: Rect
        public var restoredScores: Rect
        /// The second model's row (nil with one model).
        public var restoredB: Rect?
        public var restoredBScores: Rect?
    }

    /// One row above the columns saying what the rows are.
    public var caption: Rect
    public var columns: [Column]

    public init(content all: Rect, count: Int, imageAspect: Double = 1, models: Int = 1) {
        let (caption, content) = all.splitTop(1)
        self.caption = caption
        let gap = 1
        let colWidth = max(1, (content.width - gap * (count - 1)) / count)
        let fitted = Int((Double(colWidth) * imageAspect / 2).rounded(.up))
        let rows = 1 + max(1, models)  // the degraded row and one per model
        let imageRows = max(1, min((content.height - 1 - rows) / rows, fitted))
        let top = content.y + max(0, (content.height - 1 - rows - rows * imageRows) / 2)
        columns = (0..<count).map { i in
            let x = content.x + i * (colWidth + gap)
            var y = top
            func take(_ h: Int) -> Rect {
                defer { y += h }
                return Rect(x: x, y: y, width: colWidth, height: h)
            }
            let title = take(1)
            let degraded = take(imageRows)
            let degradedScores = take(1)
            let restored = take(imageRows)
            let restoredScores = take(1)
            var column = Column(
                title: title, degraded: degraded, degradedScores: degradedScores, restored: restored,
                restoredScores: restoredScores)
            if models >= 2 {
                column.restoredB = take(imageRows)
                column.restoredBScores = take(1)
            }
            return column
        }
    }
}
