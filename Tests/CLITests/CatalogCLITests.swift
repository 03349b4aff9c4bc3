import AshbyCatalog
import AshbyFake
import AshbyTestSupport
import Foundation
import Testing

/// The endpoint catalog as the command line shows it: stubs, REPL completion, `auth status`.
@Suite(.teardown) struct CatalogCLITests {
  /// lua-language-server is not available here: `ashby-lua check` parses the
  /// stubs, and every endpoint has its params class and its `ashby.call` overload.
  @Test func theStubsParseAndHaveAClassAndAnOverloadPerEndpoint() async throws {
    let types = try await run(["types"])
    #expect(types.status == 0)
    let path = try script(types.stdout, name: "ashby.meta.lua")
    let check = try await run(["check", path])
    #expect(check.status == 0, "\(check.all)")
    let lines = Set(types.stdout.split(separator: "\n").map(String.init))
    let overloads = types.stdout.split(separator: "\n").filter { $0.hasPrefix("---@overload fun(endpoint: ") }
    for endpoint in Catalog.endpoints {
      #expect(lines.contains("---@class ashby.endpoint.\(endpoint.name)"), "\(endpoint.name)")
      let mine = overloads.filter { $0.contains("endpoint: \"\(endpoint.name)\",") }
      #expect(mine.contains { $0.contains("ashby.endpoint.\(endpoint.name),") }, "\(endpoint.name)")
      #expect(mine.count == (endpoint.paging == .none && !endpoint.isList ? 1 : 2), "\(endpoint.name)")  // call, and pages for a list
    }
    #expect(types.stdout.contains("---@field permission? string"))
    // Required fields are marked: candidate.create needs only `name`.
    #expect(types.stdout.contains("---@class ashby.endpoint.candidate.create\n---@field name string\n---@field email? string"))
  }

  @Test func theReplCompletesEndpointNamesAndTheirFields() async throws {
    let home = try scratch()
    let t = try PseudoTerminal(["repl", "--fake"], home: home)
    try await t.expect("> ")
    var mark = t.output.count
    t.type("ashby.call(\"candidate.crea\t")
    try await t.expect("te", since: mark)
    mark = t.output.count
    t.type("\", { phone_nu\t")
    try await t.expect("mber", since: mark)
    mark = t.output.count
    t.type(" = \"1\", name = \"Ada Lovelace\" }).name\n")
    try await t.expect("\"Ada Lovelace\"", since: mark)
    mark = t.output.count
    t.type("ashby.call(\"offer.cr\t")
    try await t.expect("eate", since: mark)
    t.type("\u{15}")
    #expect(try await t.quit() == 0)
  }

  @Test func authStatusShowsThePermissionAreasOfTheKey() async throws {
    let f = try await FakeFixture.start()
    onTeardown { await f.fake.stop() }
    var env = f.env
    env["ASHBY_API_KEY"] = FakeAshby.readOnlyKey
    let r = try await run(["auth", "status"], env: env)
    #expect(r.status == 0, "\(r.all)")
    #expect(r.stdout.contains("permissions (from apiKey.info):"))
    let rows = r.stdout.split(separator: "\n").filter { $0.hasPrefix("  yes") || $0.hasPrefix("  no ") }
    let areas = Set(Catalog.endpoints.compactMap(\.permission))
    #expect(rows.count == areas.count)
    #expect(rows.contains { $0.hasPrefix("  yes  candidatesRead ") })
    #expect(rows.contains { $0.hasPrefix("  no   candidatesWrite ") })
    let full = try await run(["auth", "status"], env: f.env)
    #expect(!full.stdout.contains("  no  "))
  }
}
