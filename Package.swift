// swift-tools-version:6.0
import Foundation
import PackageDescription

// Release builds vectorise the kernels' loops for AVX2/FMA when the build machine has them
// (ram is built from source where it runs; measured: 256² paper forward pass 2.62 → 2.23 s
// on one thread, depthwise −37 %, elementwise −44 %). Elsewhere: baseline x86-64 / the
// platform default.
let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
let hasAVX2 = cpuinfo.contains(" avx2") && cpuinfo.contains(" fma")
let cpuFlags = hasAVX2 ? ["-target-cpu", "haswell"] : []

// Layers (each depends only on those below it; see ARCHITECTURE.md):
//   ram -> Viewer -> TerminalUI, RAMModel -> Imaging -> TensorCore -> C system libraries, CBF16
let release: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"] + cpuFlags, .when(configuration: .release))]

let package = Package(
    name: "ram",
    products: [
        .executable(name: "ram", targets: ["ram"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
    ],
    targets: [
        // ncursesw.pc only adds -D flags that SwiftPM rejects; the headers are in /usr/include.
        .systemLibrary(name: "CNcursesw", path: "Sources/CNcursesw"),
        .systemLibrary(
            name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"])]),
        .systemLibrary(
            name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CJPEG", path: "Sources/CJPEG", pkgConfig: "libjpeg",
            providers: [.apt(["libjpeg62-turbo-dev"])]),
        // libpng's classic API with setjmp kept inside C.
        .target(name: "CPNGClassic", dependencies: ["CPNG"]),
        // libjpeg with its error_exit longjmp kept inside C (never exit()).
        .target(name: "CJPEGShim", dependencies: ["CJPEG"]),

        // bf16 matrix products with AVX512_BF16 dot products: each kernel function is compiled for
        // those instructions alone (target attributes), chosen at run time after a CPUID check.
        // Optimised in debug builds too (tests run the network through it).
        .target(name: "CBF16", cSettings: [.unsafeFlags(["-O2"])]),
        .target(name: "TensorCore", dependencies: ["COpenBLAS", "CBF16"], swiftSettings: release),
        .target(name: "Imaging", dependencies: ["TensorCore", "CPNGClassic", "CJPEGShim"], swiftSettings: release),
        .target(name: "RAMModel", dependencies: ["TensorCore", "Imaging"], swiftSettings: release),
        .target(name: "TerminalUI", dependencies: ["Imaging", "CNcursesw"], swiftSettings: release),
        .target(
            name: "Viewer", dependencies: ["TerminalUI", "RAMModel", "Imaging", "TensorCore"],
            swiftSettings: release),
        .executableTarget(
            name: "ram",
            dependencies: [
                "Viewer", "RAMModel", "Imaging", "TensorCore", "TerminalUI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: release),

        .target(name: "TestSupport", dependencies: ["TensorCore", "Imaging", "RAMModel", "TerminalUI"], path: "Sources/TestSupport"),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "TestSupport"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "RAMModelTests", dependencies: ["RAMModel", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TerminalUITests", dependencies: ["TerminalUI", "TestSupport"]),
        .testTarget(name: "ViewerTests", dependencies: ["Viewer", "TestSupport"]),
        // Drives the built `ram` binary end to end (bad inputs, exit codes, files left behind).
        .testTarget(name: "CLITests", dependencies: ["TestSupport", "Imaging", "ram"]),
    ],
    swiftLanguageModes: [.v5]
)
