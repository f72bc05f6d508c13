// swift-tools-version: 6.1
import PackageDescription

/// The application and its faces see only the members of modules they import themselves.
let upperLayer: [SwiftSetting] = [.enableUpcomingFeature("MemberImportVisibility")]

/// Layers (README, "Layout"; the design's ARCHITECTURE.md): faces (vlm-audit, AuditServer) → AuditApp → AuditStore / Statistics / Reports → AuditCore.
/// Nothing below a layer imports anything above it; SQL lives in AuditStore and Migrations/ only. Two guards hold this:
/// the upper layers build with `MemberImportVisibility`, so they reach the members only of modules they import (a face
/// cannot call the store, nor AuditApp the driver, without importing it); and LayeringTests (Tests/AuditCoreTests)
/// fails on such an import, and on SQL written outside the store.
let package = Package(
    name: "vlm-audit",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "vlm-audit", targets: ["vlm-audit"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        // The HTTP service. Hummingbird's default traits (swift-configuration, full Foundation) are not needed.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .target(
            name: "PQ",
            dependencies: ["CLibPQ", .product(name: "Logging", package: "swift-log")]
        ),
        .target(name: "AuditCore"),
        .target(name: "Statistics"),
        .target(
            name: "AuditStore",
            dependencies: [
                "PQ", "AuditCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "Reports", dependencies: ["AuditCore"]),
        .target(
            name: "AuditApp",
            dependencies: [
                "AuditCore", "AuditStore", "Statistics", "Reports",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upperLayer
        ),
        .target(
            name: "AuditServer",
            dependencies: [
                "AuditApp", "AuditCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upperLayer
        ),
        .executableTarget(
            name: "vlm-audit",
            dependencies: [
                "AuditApp", "AuditCore", "AuditServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upperLayer
        ),
        .target(name: "TestSupport", dependencies: ["PQ", "AuditStore", "AuditApp"], path: "Tests/TestSupport"),
        .testTarget(name: "PQTests", dependencies: ["PQ", "TestSupport"]),
        .testTarget(name: "AuditCoreTests", dependencies: ["AuditCore"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "AuditCore"], exclude: ["Golden"]),
        .testTarget(name: "StatisticsTests", dependencies: ["Statistics", "AuditCore"], resources: [.copy("Fixtures")]),
        .testTarget(name: "AuditStoreTests", dependencies: ["AuditStore", "AuditCore", "PQ", "TestSupport"]),
        .testTarget(
            name: "AuditAppTests", dependencies: ["AuditApp", "AuditStore", "AuditCore", "Statistics", "Reports", "PQ", "TestSupport"],
            exclude: ["Fixtures"]),
        .testTarget(name: "AuditServerTests", dependencies: ["AuditServer", "AuditApp", "AuditCore", "AuditStore", "PQ", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)

// Benchmarks and the leak-check stress loop are built only when asked for, so ordinary builds never pay for them
// (Benchmarks/README.md).
if Context.environment["VLM_AUDIT_BENCHMARKS"] != nil {
    package.targets += [
        .executableTarget(name: "StatisticsBenchmark", dependencies: ["Statistics"], path: "Benchmarks/StatisticsBenchmark"),
        .executableTarget(name: "pq-stress", dependencies: ["PQ"], path: "Benchmarks/PQStress"),
        .executableTarget(
            name: "IngestReaderBenchmark", dependencies: ["AuditApp", "AuditStore", "AuditCore"],
            path: "Benchmarks/IngestReaderBenchmark"),
    ]
}
