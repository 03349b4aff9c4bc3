// The cold-start baseline of scripts/bench: a Swift program that links
// Foundation and does nothing, built with the same toolchain and -O.
import Foundation

if CommandLine.arguments.count > 99 { print(Date()) }
