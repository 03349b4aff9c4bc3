// swift-tools-version: 6.0
import Foundation
import PackageDescription

// The arrows go one way: CLua <- LuaHost <- AshbyScripting -> AshbyKit, the CLI on top.
let package = Package(
  name: "ashby-lua",
  platforms: [.macOS(.v14)],
  products: [
    .executable(name: "ashby-lua", targets: ["ashby-lua"])
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
  ],
  targets: [
    // Lua 5.4 from the system (Debian: liblua5.4-dev).
    .systemLibrary(
      name: "CLua", pkgConfig: "lua5.4", providers: [.apt(["liblua5.4-dev"])]),
    // The only code allowed to raise or yield (lua_error / lua_yieldk): trampolines,
    // coroutine wrappers, hooks, the counting allocator, the JSON codec.
    .target(name: "CLuaShim", dependencies: ["CLua"]),
    .target(
      name: "LuaHost",
      dependencies: ["CLua", "CLuaShim", .product(name: "Logging", package: "swift-log")]),
    .target(
      name: "AshbyKit",
      dependencies: [
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
      ]),
    .target(
      name: "AshbyFake",
      dependencies: [
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "Logging", package: "swift-log"),
      ]),
    // The Lua half of the library, compiled into the binary.
    .target(
      name: "AshbyStdlib", path: "stdlib", exclude: ["tests"], sources: ["AshbyStdlib.swift"],
      resources: [
        .embedInCode("prelude.lua"), .embedInCode("pretty.lua"), .embedInCode("util.lua"), .embedInCode("repl.lua"),
        .embedInCode("ashby.meta.lua"),
      ]),
    .target(name: "AshbyScripting", dependencies: ["LuaHost", "AshbyKit", "AshbyStdlib"]),
    // schedules.toml, cron in a time zone, the SQLite history and leases, the daemon.
    // Knows nothing of Lua or Ashby: the CLI gives it a runner.
    .target(
      name: "AshbyScheduler",
      dependencies: [.product(name: "TOMLKit", package: "TOMLKit"), .product(name: "GRDB", package: "GRDB.swift")]),
    .executableTarget(
      name: "ashby-lua",
      dependencies: [
        "LuaHost", "AshbyScripting", "AshbyKit", "AshbyFake", "AshbyStdlib", "AshbyScheduler", "CLineEdit",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "TOMLKit", package: "TOMLKit"),
        .product(name: "Logging", package: "swift-log"),
      ]),
    // libedit (Debian: libedit-dev) for the REPL's line editing and history.
    .systemLibrary(name: "CLineEdit", pkgConfig: "libedit", providers: [.apt(["libedit-dev"])]),
    .executableTarget(
      name: "ashby-bench",
      dependencies: [
        "LuaHost", "AshbyKit", "AshbyFake",
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
      ]),
    .testTarget(name: "LuaHostTests", dependencies: ["LuaHost"]),
    .testTarget(name: "AshbyKitTests", dependencies: ["AshbyKit", "AshbyFake"]),
    .testTarget(name: "AshbySchedulerTests", dependencies: ["AshbyScheduler"]),
    .testTarget(
      name: "AshbyScriptingTests", dependencies: ["AshbyScripting", "AshbyFake", "LuaHost", "AshbyKit", "AshbyStdlib"]),
    // Drives the built `ashby-lua` binary: exit codes, stdout/stderr, the REPL through a pty.
    .testTarget(name: "CLITests", dependencies: ["AshbyFake", "AshbyScripting", "AshbyScheduler"]),
  ],
  swiftLanguageModes: [.v6]
)

// scripts/fuzz: the schedules-file reader under libFuzzer, built only there
// (it needs `-sanitize=fuzzer`, and libFuzzer brings its own `main`).
if ProcessInfo.processInfo.environment["ASHBY_FUZZ"] != nil {
  package.targets.append(
    .executableTarget(
      name: "fuzz-schedule", dependencies: ["AshbyScheduler"], path: "Tests/Fuzz/schedule",
      swiftSettings: [.unsafeFlags(["-parse-as-library"])]))  // libFuzzer has the main
}
