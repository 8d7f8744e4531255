// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Mimeo",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "mimeo", targets: ["MimeoCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // L0: system C libraries and Foundation-only modules.
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "MimeoData", dependencies: ["CZlib"]),
        .target(name: "MimeoWire"),
        // L1: the native compute engine.
        .target(name: "MimeoTensor", dependencies: ["CBLAS"]),
        // L2: layers and optimisers.
        .target(name: "MimeoNN", dependencies: ["MimeoTensor"]),
        // L3: the model, and evaluation beside it.
        .target(name: "MimeoTabular", dependencies: ["MimeoNN", "MimeoTensor", "MimeoData", "CZlib"]),
        .target(name: "MimeoEval", dependencies: ["MimeoData", "MimeoTensor"]),
        // L4: the HTML report, drawn from evaluation numbers.
        .target(name: "MimeoReport", dependencies: ["MimeoEval", "MimeoData"]),
        // L5: the command line.
        .executableTarget(
            name: "MimeoCLI",
            dependencies: [
                "MimeoData", "MimeoTensor", "MimeoNN", "MimeoTabular", "MimeoEval", "MimeoReport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(name: "MimeoTestSupport", dependencies: ["MimeoTensor", "MimeoNN", "MimeoData"], path: "Tests/MimeoTestSupport"),
        .testTarget(name: "MimeoDataTests", dependencies: ["MimeoData", "MimeoTestSupport"]),
        .testTarget(name: "MimeoTensorTests", dependencies: ["MimeoTensor", "MimeoTestSupport"]),
        .testTarget(name: "MimeoNNTests", dependencies: ["MimeoNN", "MimeoTensor", "MimeoTestSupport"]),
        .testTarget(name: "MimeoTabularTests", dependencies: ["MimeoTabular", "MimeoData", "MimeoTestSupport"]),
        .testTarget(name: "MimeoEvalTests", dependencies: ["MimeoEval", "MimeoData", "MimeoTensor", "MimeoTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "MimeoReportTests", dependencies: ["MimeoReport", "MimeoEval", "MimeoData"]),
        .testTarget(name: "MimeoCLITests", dependencies: ["MimeoCLI", "MimeoTestSupport"]),
        .testTarget(name: "MimeoWireTests", dependencies: ["MimeoWire"]),
    ],
    swiftLanguageModes: [.v6]
)
