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
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // `mimeo transform --policy` (MimeoPrivacy); the tests read docker-compose.yml with it too.
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        // L0: system C libraries and Foundation-only modules.
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "MimeoData", dependencies: ["CZlib"]),
        // Parquet in and out (docs/parquet.md): the format written from its specification, with zstd and snappy.
        .systemLibrary(name: "CZstd", path: "Sources/CZstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CSnappy", path: "Sources/CSnappy", providers: [.apt(["libsnappy-dev"])]),
        .target(name: "MimeoParquet", dependencies: ["MimeoData", "CZlib", "CZstd", "CSnappy"]),
        // The cluster's wire protocol (docs/protocol/mwp-1.md): pure codec, no I/O.
        .target(name: "MimeoWire"),
        // ZeroMQ for the cluster: libzmq and its wrapper (the CLI uses it for `mimeo keygen`).
        .systemLibrary(name: "CZeroMQ", path: "Sources/CZeroMQ", providers: [.apt(["libzmq3-dev"])]),
        .target(name: "MimeoZMQ", dependencies: ["CZeroMQ"]),
        .executableTarget(name: "MimeoZMQBenchmark", dependencies: ["MimeoZMQ"]),
        // The cluster's logs and metrics (docs/observability.md): structured log lines, Prometheus
        // metrics, and a /metrics endpoint served from a ZeroMQ poll loop.
        .target(
            name: "MimeoObservability",
            dependencies: [
                "MimeoZMQ",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // L1: the native compute engine.
        .target(name: "MimeoTensor", dependencies: ["CBLAS"]),
        // L2: layers and optimisers.
        .target(name: "MimeoNN", dependencies: ["MimeoTensor"]),
        // L3: the model, and evaluation beside it.
        .target(name: "MimeoTabular", dependencies: ["MimeoNN", "MimeoTensor", "MimeoData", "CZlib"]),
        .target(name: "MimeoEval", dependencies: ["MimeoData", "MimeoParquet", "MimeoTensor"]),
        // L3: personal data before training (docs/transform.md): detection by validators and column-name hints,
        // keyed consistent pseudonyms (HMAC-SHA256), policies in YAML.
        .target(name: "MimeoPrivacy", dependencies: [
            "MimeoData", .product(name: "Crypto", package: "swift-crypto"), .product(name: "Yams", package: "Yams"),
        ]),
        // L4: the worker-side core of a cluster generation job (docs/cluster-generation.md): one shard's part
        // file and its result (rows, bytes, CRC-32, mergeable summaries); no networking.
        .target(name: "MimeoGeneration", dependencies: ["MimeoTabular", "MimeoEval", "MimeoWire", "MimeoData", "MimeoParquet", "CZlib"]),
        // L5: the cluster (docs/architecture.md): the coordinator's durable state (docs/cluster-state.md), the
        // coordinator, worker and client nodes over MimeoZMQ speaking MWP-1, content-addressed model blobs.
        .target(name: "MimeoCluster", dependencies: [
            "MimeoWire", "MimeoZMQ", "MimeoObservability", "MimeoGeneration", "MimeoTabular", "MimeoEval", "MimeoData",
            "MimeoFederated", "MimeoFederatedTraining",
            .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // L4: federated training's math (docs/federated.md): server-side aggregation and quorum, client-level
        // differential privacy with an RDP accountant, secure aggregation by pairwise masks; pure values, no I/O.
        .target(name: "MimeoFederated", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        // L5: federated training without the transport (docs/federated.md): the encoding agreement (keyed-hash
        // counts, relative-error sketches), and a single-process simulation of rounds of `LocalTrainer` and FedAvg.
        .target(name: "MimeoFederatedTraining", dependencies: [
            "MimeoTabular", "MimeoNN", "MimeoFederated", "MimeoData", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // Federated training simulated in one process, for measurements (docs/federated.md, "Simulation").
        .executableTarget(name: "MimeoFederatedSimulation", dependencies: ["MimeoFederatedTraining", "MimeoTabular", "MimeoData"]),
        // L4: the HTML report, drawn from evaluation numbers.
        .target(name: "MimeoReport", dependencies: ["MimeoEval", "MimeoData"]),
        // Loopback benchmark of the coordinator with simulated workers (docs/scaling.md; `make bench-cluster`).
        .executableTarget(name: "MimeoClusterBenchmark", dependencies: [
            "MimeoCluster", "MimeoWire", "MimeoZMQ", "MimeoGeneration", "MimeoTabular",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // L6: the command line.
        .executableTarget(
            name: "MimeoCLI",
            dependencies: [
                "MimeoData", "MimeoParquet", "MimeoGeneration", "MimeoPrivacy", "MimeoTensor", "MimeoNN", "MimeoTabular", "MimeoEval", "MimeoReport", "MimeoZMQ", "MimeoCluster",
                "MimeoWire", "MimeoObservability", .product(name: "Logging", package: "swift-log"), .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(name: "MimeoTestSupport", dependencies: ["MimeoTensor", "MimeoNN", "MimeoData"], path: "Tests/MimeoTestSupport"),
        .testTarget(name: "MimeoDataTests", dependencies: ["MimeoData", "MimeoTestSupport"]),
        .testTarget(name: "MimeoParquetTests", dependencies: ["MimeoParquet", "MimeoData", "MimeoTabular", "MimeoGeneration", "MimeoTestSupport"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "MimeoTensorTests", dependencies: ["MimeoTensor", "MimeoTestSupport"]),
        .testTarget(name: "MimeoNNTests", dependencies: ["MimeoNN", "MimeoTensor", "MimeoTestSupport"]),
        .testTarget(name: "MimeoTabularTests", dependencies: [
            "MimeoTabular", "MimeoNN", "MimeoData", "MimeoTestSupport", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .testTarget(name: "MimeoEvalTests", dependencies: ["MimeoEval", "MimeoData", "MimeoTensor", "MimeoTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "MimeoPrivacyTests", dependencies: ["MimeoPrivacy", "MimeoData", "MimeoTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "MimeoReportTests", dependencies: ["MimeoReport", "MimeoEval", "MimeoData", "MimeoTestSupport"]),
        .testTarget(name: "MimeoZMQTests", dependencies: ["MimeoZMQ"]),
        .testTarget(name: "MimeoObservabilityTests", dependencies: [
            "MimeoObservability", "MimeoZMQ", .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "MimeoCLITests", dependencies: [
            "MimeoCLI", "MimeoZMQ", "MimeoTestSupport", .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Yams", package: "Yams"),
        ]),
        // The fuzz harnesses' entry points (docs/fuzzing.md), replayed over the committed corpus by the tests.
        .target(name: "MimeoFuzzing", dependencies: ["MimeoData", "MimeoTabular", "MimeoWire", "MimeoParquet", "CZlib"], path: "Fuzz/Sources/MimeoFuzzing"),
        .testTarget(name: "MimeoFuzzingTests", dependencies: ["MimeoFuzzing", "MimeoData", "MimeoTabular"]),
        .testTarget(name: "MimeoWireTests", dependencies: ["MimeoWire", "MimeoTestSupport"]),
        // A process the crash-safety test SIGKILLs mid-write (Tests/MimeoClusterTests/CrashSafetyTests.swift).
        .executableTarget(name: "StoreCrashProbe", dependencies: ["MimeoCluster", "MimeoWire"], path: "Tests/StoreCrashProbe"),
        .testTarget(name: "MimeoGenerationTests", dependencies: ["MimeoGeneration", "MimeoTabular", "MimeoEval", "MimeoWire", "MimeoData", "MimeoTestSupport"]),
        .testTarget(name: "MimeoFederatedTests", dependencies: [
            "MimeoFederated", "MimeoTestSupport", .product(name: "Crypto", package: "swift-crypto"),
        ], exclude: ["Fixtures"]),
        .testTarget(name: "MimeoFederatedTrainingTests", dependencies: [
            "MimeoFederatedTraining", "MimeoTabular", "MimeoFederated", "MimeoData", "MimeoTestSupport",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .testTarget(name: "MimeoClusterTests", dependencies: [
            "MimeoCluster", "MimeoWire", "StoreCrashProbe", "MimeoTestSupport", "MimeoZMQ", "MimeoTabular", "MimeoData",
            "MimeoFederated", .product(name: "Crypto", package: "swift-crypto"),
            "MimeoEval",
            .product(name: "Logging", package: "swift-log"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)

// `make fuzz` only (MIMEO_FUZZ=1): one libFuzzer executable per harness, so that `swift build` and
// `swift test` never build them.
if Context.environment["MIMEO_FUZZ"] == "1" {
    package.targets.append(.target(name: "CLibFuzzer", path: "Fuzz/Sources/CLibFuzzer"))
    for harness in ["csv", "schema", "model-file", "where", "wire", "parquet"] {
        package.targets.append(.executableTarget(
            name: "fuzz-\(harness)", dependencies: ["MimeoFuzzing", "CLibFuzzer"], path: "Fuzz/Sources/fuzz-\(harness)"))
    }
}
