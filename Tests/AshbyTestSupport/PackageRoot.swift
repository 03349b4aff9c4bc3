import Foundation

/// The package's folder (this file is `Tests/AshbyTestSupport/PackageRoot.swift`): where the tests find the
/// scripts, the stdlib, the README and their golden files.
public let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent()
