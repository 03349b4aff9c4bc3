import AshbyPaths
import Foundation
import Testing

/// One rule for every folder: the XDG variable when absolute, else under `$HOME`.
@Suite struct UserFoldersTests {
  @Test func xdgVariablesWinWhenAbsoluteElseHome() {
    let home = ["HOME": "/home/ci"]
    #expect(UserFolders.config(environment: home) == "/home/ci/.config/ashby-lua")
    #expect(UserFolders.state(environment: home) == "/home/ci/.local/state/ashby-lua")
    #expect(UserFolders.cache(environment: home) == "/home/ci/.cache/ashby-lua")
    let xdg = home.merging(["XDG_CONFIG_HOME": "/x/c", "XDG_STATE_HOME": "/x/s", "XDG_CACHE_HOME": "/x/k"]) { $1 }
    #expect(UserFolders.config(environment: xdg) == "/x/c/ashby-lua")
    #expect(UserFolders.state(environment: xdg) == "/x/s/ashby-lua")
    #expect(UserFolders.cache(environment: xdg) == "/x/k/ashby-lua")
    // Empty or relative: ignored, as the XDG spec says.
    let odd = home.merging(["XDG_CONFIG_HOME": "", "XDG_STATE_HOME": "relative/state"]) { $1 }
    #expect(UserFolders.config(environment: odd) == "/home/ci/.config/ashby-lua")
    #expect(UserFolders.state(environment: odd) == "/home/ci/.local/state/ashby-lua")
    // No HOME at all: the account's home.
    #expect(UserFolders.config(environment: [:]) == NSHomeDirectory() + "/.config/ashby-lua")
  }

  @Test func theProcessEnvironmentIsReadWhenNoneIsGiven() {
    let env = ProcessInfo.processInfo.environment
    #expect(UserFolders.cache() == UserFolders.cache(environment: env))
    #expect(UserFolders.home() == UserFolders.home(environment: env))
  }
}
