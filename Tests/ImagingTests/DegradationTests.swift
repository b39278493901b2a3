import Foundation
import Testing

@testable import Imaging

@Suite struct DegradationTests {
    /// A 64×48 test picture: smooth colour gradients with a few hard edges.
    static let picture: RGBImage = {
        var image = RGBImage(width: 64, height: 48)
        for y in 0..<48 {
            for x in 0..<64 {
                image[0, y, x] = Float(x) / 63
                image[1, y, x] = Float(y) / 47
                image[2, y, x] = (x / 8 + y / 8) % 2 == 0 ? 0.85 : 0.15
            }
        }
        return image
    }()

    static let all: [Degradation] =
        Degradation.standardFive + [.blur(length: nil, angle: nil), .blur(length: 9, angle: nil), .rain(level: 1)]

    // MARK: determinism and the common contract

    @Test(arguments: all)
    func sameSeedSameImageAndOutputInUnitRange(_ d: Degradation) {
        let a = d.apply(to: Self.picture, seed: 5)
        let b = d.apply(to: Self.picture, seed: 5)
        #expect(a == b)
        #expect(a.pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(a != Self.picture)
    }

    @Test(arguments: all.filter { $0 != .blur(length: 15, angle: 30) })
    func differentSeedDifferentImage(_ d: Degradation) {
        #expect(d.apply(to: Self.picture, seed: 1) != d.apply(to: Self.picture, seed: 2))
    }

    @Test func fixedMotionBlurIgnoresTheSeed() {
        let d = Degradation.blur(length: 15, angle: 30)
        #expect(d.apply(to: Self.picture, seed: 1) == d.apply(to: Self.picture, seed: 2))
    }

    @Test func alphaAndBitDepthPassThrough() {
        var image = Self.picture
        image.alpha = [Float](repeating: 0.25, count: image.plane)
        image.bitDepth = 16
        for d in Self.all {
            let out = d.apply(to: image, seed: 3)
            #expect(out.alpha == image.alpha)
            #expect(out.bitDepth == 16)
        }
    }

    // MARK: noise

    @Test func noiseHasTheRequestedSigma() {
        let gray = RGBImage(width: 256, height: 256, fill: 0.5)
        let out = Degradation.noise(sigma: 25).apply(to: gray, seed: 9)
        let n = Double(out.pixels.count)
        let mean = out.pixels.reduce(0.0) { $0 + Double($1) } / n
        let sd = (out.pixels.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n).squareRoot()
        #expect(abs(mean - 0.5) < 0.002)
        #expect(abs(sd * 255 / 25 - 1) < 0.02, "empirical σ \(sd * 255)")
        #expect(Degradation.noise(sigma: 0).apply(to: Self.picture, seed: 1) == Self.picture)
    }

    // MARK: haze

    @Test func hazeTransmissionIsInUnitIntervalAndFollowsDepth() {
        let field = HazeField(width: 80, height: 60, beta: 1.2, seed: 4)
        #expect(field.transmission.allSatisfy { $0 > 0 && $0 <= 1 })
        #expect(field.transmission.allSatisfy { $0 >= Float(exp(-1.2)) - 1e-6 })
        #expect(field.depth.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(field.airlight.allSatisfy { $0 >= 0.67 && $0 <= 1 })
        // The top row (beyond the horizon) is farther, so hazier, than the bottom row.
        let top = field.transmission[0..<80].reduce(0, +)
        let bottom = field.transmission[(59 * 80)..<(60 * 80)].reduce(0, +)
        #expect(top < bottom)
    }

    @Test func hazeLowersContrastAndMatchesTheModel() {
        let out = Degradation.haze(beta: 1.2).apply(to: Self.picture, seed: 4)
        #expect(standardDeviation(out.pixels) < 0.8 * standardDeviation(Self.picture.pixels))
        var expected = Self.picture
        HazeField(width: 64, height: 48, beta: 1.2, seed: 4).apply(to: &expected)
        #expect(out == expected.clamped())
    }

    // MARK: blur

    @Test(arguments: [
        Degradation.blur(length: 15, angle: 30), .blur(length: 1, angle: 0), .blur(length: 40, angle: -75),
        .blur(length: nil, angle: nil),
    ])
    func kernelIsNormalisedOddAndCentred(_ d: Degradation) {
        for seed: UInt64 in [1, 2, 3] {
            let k = d.kernel(seed: seed)
            #expect(k.size % 2 == 1 && k.weights.count == k.size * k.size)
            #expect(k.weights.allSatisfy { $0 >= 0 })
            #expect(abs(k.weights.reduce(0, +) - 1) < 1e-5)
            var (cx, cy) = (0.0, 0.0)
            for y in 0..<k.size {
                for x in 0..<k.size {
                    cx += Double(k.weights[y * k.size + x]) * Double(x)
                    cy += Double(k.weights[y * k.size + x]) * Double(y)
                }
            }
            #expect(abs(cx - Double(k.size / 2)) < 1e-3 && abs(cy - Double(k.size / 2)) < 1e-3)
        }
    }

    @Test func horizontalLineKernelIsOneRowOfTheRightLength() {
        let k = Degradation.blur(length: 9, angle: 0).kernel(seed: 0)
        let r = k.size / 2
        for y in 0..<k.size where y != r {
            #expect(k.weights[(y * k.size)..<((y + 1) * k.size)].allSatisfy { $0 == 0 })
        }
        let row = Array(k.weights[(r * k.size)..<((r + 1) * k.size)])
        // Points at ±4.44 px splat onto pixels −5...5; the end pixels get a sliver.
        #expect(row.filter { $0 > 0 }.count == 11)
        #expect(zip(row, row.reversed()).allSatisfy { abs($0 - $1) < 1e-7 })
        let identity = Degradation.noise(sigma: 5).kernel(seed: 0)
        #expect(identity.size == 1 && identity.weights == [1])
    }

    @Test func convolvingAnImpulseReproducesTheKernel() {
        let k = Degradation.blur(length: 12, angle: 60).kernel(seed: 0)
        let r = k.size / 2
        var impulse = RGBImage(width: 31, height: 31)
        for c in 0..<3 { impulse[c, 15, 15] = 1 }
        let out = Degradation.convolve(impulse, size: k.size, weights: k.weights)
        for c in 0..<3 {
            for i in 0..<k.size {
                for j in 0..<k.size {
                    #expect(abs(out[c, 15 + i - r, 15 + j - r] - k.weights[i * k.size + j]) < 1e-7)
                }
            }
        }
        // A kernel wider than the image still sees a reflected image: constants stay constant.
        let flat = RGBImage(width: 5, height: 4, fill: 0.3)
        let blurred = Degradation.convolve(flat, size: k.size, weights: k.weights)
        #expect(blurred.pixels.allSatisfy { abs($0 - 0.3) < 1e-6 })
    }

    @Test func reflectPaddingDoesNotRepeatTheEdge() {
        #expect((-3...7).map { Degradation.reflectIndex($0, count: 4) } == [3, 2, 1, 0, 1, 2, 3, 2, 1, 0, 1])
        #expect(Degradation.reflectIndex(-5, count: 1) == 0)
    }

    // MARK: low light

    @Test func lowLightDarkensByTheCurve() {
        let curve = LowLightCurve(level: 0.5)
        #expect(curve.alpha == 0.95 && curve.beta == 0.75 && curve.gamma == 3.25)
        #expect(abs(curve.peak - 94.868) < 0.01 && abs(curve.readSigma - 0.006) < 1e-6)
        let gray = RGBImage(width: 128, height: 128, fill: 0.6)
        let out = Degradation.lowlight(level: 0.5).apply(to: gray, seed: 2)
        let mean = out.pixels.reduce(0.0) { $0 + Double($1) } / Double(out.pixels.count)
        let expected = Double(curve.darken(0.6))  // 0.75·(0.57)^3.25 ≈ 0.1208
        #expect(abs(mean / expected - 1) < 0.01, "mean \(mean), expected \(expected)")
        // Darker with the level.
        let darker = Degradation.lowlight(level: 0.9).apply(to: gray, seed: 2)
        #expect(darker.pixels.reduce(0, +) < out.pixels.reduce(0, +))
    }

    // MARK: rain

    @Test func rainOnlyBrightensBelowTheVeilAndGrowsWithLevel() {
        let light = Degradation.rain(level: RainRecipe.light).apply(to: Self.picture, seed: 8)
        #expect(zip(light.pixels, Self.picture.pixels).allSatisfy { $0 >= $1 - 1e-6 })  // screen, up to rounding
        let heavy = Degradation.rain(level: RainRecipe.heavy).apply(to: Self.picture, seed: 8)
        #expect(psnr(Self.picture, heavy) < psnr(Self.picture, light))
        #expect(RainRecipe(level: RainRecipe.light).layers == 1)
        #expect(RainRecipe(level: RainRecipe.medium).layers == 2)
        #expect(RainRecipe(level: RainRecipe.heavy).layers == 4)
        #expect(RainRecipe(level: RainRecipe.medium).veil == 0)
    }

    // MARK: spelling

    @Test func standardFiveSpelling() {
        #expect(
            Degradation.standardFive.map(\.description) == ["noise:25", "rain:medium", "haze:1.2", "blur:15,30", "lowlight:0.5"])
        #expect(Degradation.standardFive.map(\.name) == Degradation.names)
    }

    @Test(arguments: [
        Degradation.noise(sigma: 25), .noise(sigma: 12.5), .rain(level: 0.25), .rain(level: 0.8), .rain(level: 0.35),
        .haze(beta: 1.2), .haze(beta: 0.6), .blur(length: 15, angle: 30), .blur(length: 7.5, angle: -45),
        .blur(length: 21, angle: nil), .blur(length: nil, angle: nil), .lowlight(level: 0.5), .lowlight(level: 0.333),
    ])
    func descriptionRoundTrips(_ d: Degradation) throws {
        #expect(try Degradation(parsing: d.description) == d)
    }

    @Test func parsesCLISpellings() throws {
        #expect(try Degradation(parsing: "noise:25") == .noise(sigma: 25))
        #expect(try Degradation(parsing: " Rain:Heavy ") == .rain(level: 0.8))
        #expect(try Degradation(parsing: "rain:light") == .rain(level: 0.25))
        #expect(try Degradation(parsing: "rain:0.5") == .rain(level: 0.5))
        #expect(try Degradation(parsing: "rain:0.5").description == "rain:medium")
        #expect(try Degradation(parsing: "haze:1.2") == .haze(beta: 1.2))
        #expect(try Degradation(parsing: "blur:15,30") == .blur(length: 15, angle: 30))
        #expect(try Degradation(parsing: "blur: 15 , 30") == .blur(length: 15, angle: 30))
        #expect(try Degradation(parsing: "blur") == .blur(length: nil, angle: nil))
        #expect(try Degradation(parsing: "blur:shake") == .blur(length: nil, angle: nil))
        #expect(try Degradation(parsing: "lowlight:0.5") == .lowlight(level: 0.5))
    }

    @Test(arguments: [
        ("nose:25", "unknown degradation 'nose'; expected one of noise, rain, haze, blur, lowlight"),
        ("", "empty degradation; expected one of noise, rain, haze, blur, lowlight"),
        ("noise", "noise: missing sigma; expected noise:SIGMA, e.g. noise:25"),
        ("noise:abc", "noise: sigma 'abc' is not a number; expected noise:SIGMA, e.g. noise:25"),
        ("noise:300", "noise: sigma 300 is out of range 0...255"),
        ("rain:drizzle", "rain: 'drizzle' is neither light, medium, heavy nor a level in 0...1"),
        ("rain:1.5", "rain: level 1.5 is out of range 0...1"),
        ("haze:-1", "haze: beta -1 is out of range 0...10"),
        ("blur:1,2,3", "blur: expected blur, blur:LENGTH or blur:LENGTH,ANGLE, got 'blur:1,2,3'"),
        ("blur:0,30", "blur: length 0 is out of range 1...255"),
        ("blur:15,", "blur: missing angle; expected blur:LENGTH,ANGLE, e.g. blur:15,30"),
        ("lowlight:nan", "lowlight: level 'nan' is not a number; expected lowlight:LEVEL, e.g. lowlight:0.5"),
    ])
    func parseErrorsNameTheProblem(_ text: String, _ message: String) {
        #expect(throws: DegradationParseError(message: message)) { try Degradation(parsing: text) }
    }

    private func standardDeviation(_ values: [Float]) -> Double {
        let n = Double(values.count)
        let mean = values.reduce(0.0) { $0 + Double($1) } / n
        return (values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n).squareRoot()
    }
}
