import AshbyCatalog
import AshbyFake
import AshbyJSON
import AshbyKit
import Foundation
import LuaHost
import Testing

/// `ashby.call` and `ashby.pages` checked against the endpoint catalog: refused
/// before sending, as argument errors naming the field.
@Suite struct CheckedCallTests {
  /// A one-letter typo of every endpoint is refused with that endpoint as the suggestion, and nothing is sent.
  @Test func everyEndpointIsKnownAndATypoOfEachIsRefusedWithTheRightSuggestion() async throws {
    let s = try await Session.start()
    var typos: [(typo: String, meant: String)] = []
    for endpoint in Catalog.endpoints {
      #expect((try? Catalog.lookup(endpoint.name))?.name == endpoint.name)
      typos.append((try #require(Self.typo(of: endpoint.name)), endpoint.name))
    }
    let list = typos.map { "\"\($0.typo)\"" }.joined(separator: ", ")
    let r = try await s.run(
      """
      local out = {}
      for _, name in ipairs{ \(list) } do
        local ok, err = pcall(ashby.call, name, {})
        out[#out + 1] = (ok and "sent" or err.kind) .. "|" .. (ok and "" or err.parameter .. "|" .. err.message)
      end
      return table.concat(out, "\\n")
      """)
    let lines = try #require(r.first?.stringValue).split(separator: "\n").map(String.init)
    #expect(lines.count == Catalog.endpoints.count)
    for (line, typo) in zip(lines, typos) {
      #expect(line.hasPrefix("argument|endpoint|"), "\(typo.typo): \(line)")
      #expect(line.contains("(did you mean \"\(typo.meant)\"?)"), "\(typo.typo): \(line)")
    }
    #expect(s.fake.requests.isEmpty)
    await s.stop()
  }

  /// A letter dropped from the method, at the first place where no other endpoint is as close.
  static func typo(of name: String) -> String? {
    let chars = Array(name)
    let dot = chars.firstIndex(of: ".") ?? 0
    for i in (dot + 2)..<chars.count {
      var t = chars
      t.remove(at: i)
      let typo = String(t)
      let others = Catalog.endpoints.filter { $0.name != name && Suggestion.distance(typo, $0.name) <= 1 }
      if Catalog.endpoint(typo) == nil && others.isEmpty { return typo }
    }
    return nil
  }

  /// At least 20 endpoints across categories: a complete call reaches the fake; a
  /// missing required field, an unknown field and a wrong type are refused with nothing sent.
  @Test func missingUnknownAndMistypedFieldsAreRefusedBeforeSending() async throws {
    var seen: Set<Substring> = []
    let sample = Catalog.endpoints.filter { e in
      guard !e.multipart, e.request.requiredSets.count == 1, Self.mistype(e.request) != nil,
        !seen.contains(e.category)
      else { return false }
      seen.insert(e.category)
      return true
    }
    #expect(sample.count >= 20)
    let s = try await Session.start()
    for endpoint in sample {
      let valid = Self.minimal(endpoint.request)
      let required = try #require(endpoint.request.requiredSets.first?.first)
      var missing = valid
      missing[required] = nil
      var unknown = valid
      unknown["zzUnknownField"] = "x"
      let (field, bad) = try #require(Self.mistype(endpoint.request))
      var mistyped = valid
      mistyped[field] = bad
      s.fake.clearLog()
      for (params, parameter, says) in [
        (missing, required, "missing required parameter"), (unknown, "zzUnknownField", "unknown parameter"),
        (mistyped, field, "must be"),
      ] {
        let err = try await Self.error(s, endpoint.name, params)
        #expect(err["kind"] == "argument", "\(endpoint.name): \(err)")
        #expect(err["parameter"] == .string(parameter), "\(endpoint.name): \(err)")
        #expect(err["message"]?.stringValue?.contains(says) == true, "\(endpoint.name): \(err)")
      }
      #expect(s.fake.requests.isEmpty, "\(endpoint.name) sent a refused call")
      // The complete call goes out, and the fake (checking the same catalog) finds nothing missing.
      let err = try await Self.error(s, endpoint.name, valid)
      #expect(s.fake.count(endpoint.name) >= 1, "\(endpoint.name): \(err)")
      #expect(err["message"]?.stringValue?.contains("Missing required field") != true, "\(endpoint.name): \(err)")
    }
    await s.stop()
  }

  @Test func uncheckedSendsAsGivenAndSnakeCaseIsSentAsAshbySpellsIt() async throws {
    let s = try await Session.start()
    _ = try await s.run(
      """
      local ok, err = pcall(ashby.call, "candidate.craete", { nmae = "x" }, { unchecked = true })
      assert(not ok and err.kind == "not_found", tostring(err))
      ashby.call("candidate.create", { name = "Ada Lovelace", phone_number = "555", linked_in_url = "https://linkedin.com/in/ada",
        location = { city = "London" } })
      ashby.call("candidate.create", { name = "Grace Hopper", alternate_email_addresses = {} }, { unchecked = false })
      """)
    let raw = try #require(s.fake.requests(to: "candidate.craete").first)
    #expect(try JSONValue.decode(Data(raw.body.utf8)) == ["nmae": "x"])
    let created = s.fake.requests(to: "candidate.create").map { try? JSONValue.decode(Data($0.body.utf8)) }
    #expect(
      created.first == [
        "name": "Ada Lovelace", "phoneNumber": "555", "linkedInUrl": "https://linkedin.com/in/ada",
        "location": ["city": "London"],
      ])
    #expect(created.last == ["name": "Grace Hopper", "alternateEmailAddresses": .array([])])
    await s.stop()
  }

  @Test func theSameCheckForPagesAndForTheOptionsTable() async throws {
    let s = try await Session.start()
    let r = try await s.run(
      """
      local function msg(...) local ok, err = pcall(...); return ok and "ok" or err.parameter .. ": " .. err.message end
      return msg(ashby.pages, "candidate.lsit"), msg(ashby.pages, "candidate.list", { limt = 5 }),
        msg(ashby.pages, "candidate.info", { id = "x" }), msg(ashby.call, "job.list", { status = { "open" } }),
        msg(ashby.call, "job.info", { id = "x" }, { uncheked = true }), msg(ashby.call, "job.info", { id = 1 }),
        msg(ashby.call, "candidate.create", { name = "A", phoneNumber = "1", phone_number = "2" }),
        msg(ashby.call, "candidate.info", {})
      """)
    let texts = r.compactMap(\.stringValue)
    #expect(texts[0].contains("endpoint: \"candidate.lsit\" is not an Ashby endpoint (did you mean \"candidate.list\"?)"))
    #expect(texts[1] == "limt: unknown parameter \"limt\" (did you mean \"limit\"?)")
    #expect(texts[2].contains("candidate.info returns one object, not a list; call it with ashby.call"))
    #expect(texts[3].contains("\"status[1]\" must be one of \"Draft\", \"Open\", \"Closed\", \"Archived\", got \"open\" (did you mean \"Open\"?)"))
    #expect(texts[4].contains("unknown option \"uncheked\""))
    #expect(texts[5] == "id: \"id\" must be a string (an id), got number 1")
    #expect(texts[6].contains("is given twice"))
    #expect(texts[7].contains("give \"id\", or \"externalMappingId\""))
    #expect(s.fake.requests.isEmpty)
    await s.stop()
  }

  /// `ashby.pages` takes every list, in one request where Ashby has no cursor.
  @Test func pagesIteratesListsWithoutACursorToo() async throws {
    let s = try await Session.start()
    let r = try await s.run(
      """
      local function count(endpoint, params)
        local n = 0
        for item in ashby.pages(endpoint, params) do n = n + 1; assert(item.id) end
        return n
      end
      local plan = ashby.get_job(ashby.list_jobs{}.jobs[1].id).defaultInterviewPlanId
      return count("source.list"), #ashby.call("source.list", {}), count("archiveReason.list"),
        #(ashby.call("archiveReason.list", {})), count("interviewStage.list", { interview_plan_id = plan })
      """)
    #expect(r.count == 5 && r[0] == r[1] && r[2] == r[3], "\(r)")
    #expect((r.first?.integerValue ?? 0) > 0 && (r[2].integerValue ?? 0) > 0 && (r[4].integerValue ?? 0) > 0, "\(r)")
    #expect(s.fake.count("source.list") == 2 && s.fake.count("archiveReason.list") == 2)
    #expect(s.fake.count("interviewStage.list") == 1)
    await s.stop()
  }

  @Test func aMissingPermissionIsNamedFromTheCatalog() async throws {
    let s = try await Session.start(key: FakeAshby.readOnlyKey)
    let r = try await s.run(
      """
      local ok, err = pcall(ashby.call, "candidate.create", { name = "Ada Lovelace" })
      return err.kind, err.permission, err.message
      """)
    #expect(r[0] == "permission")
    #expect(r[1] == "candidatesWrite")
    #expect(r[2].stringValue?.contains("lacks the candidatesWrite permission, which candidate.create needs") == true)
    await s.stop()
  }

  @Test func helpPrintsAnEndpointsFieldsWithTypesAndRequiredMarks() async throws {
    let s = try await Session.start()
    let r = try await s.run(
      """
      local out, print_ = {}, print
      print = function(text) out[#out + 1] = text end
      ashby.help("offer.create"); ashby.help("candidate.info"); ashby.help("endpoints"); ashby.help("offer.craete")
      print = print_
      return table.unpack(out)
      """)
    let texts = r.compactMap(\.stringValue)
    #expect(texts[0].contains("ashby.call(\"offer.create\", params)"))
    #expect(texts[0].contains("permission: offersWrite"))
    #expect(texts[0].contains("offer_process_id  required   string (id)"))
    #expect(texts[0].contains("field_submissions  required   table[] (each:)"))
    #expect(texts[1].contains("Give one of: id; external_mapping_id"))
    #expect(texts[2].contains("R candidate.list  candidatesRead"))
    #expect(texts[2].split(separator: "\n").filter { $0.hasPrefix("    R ") || $0.hasPrefix("    W ") }.count == 144)
    #expect(texts[3].contains("did you mean \"offer.create\""))
    #expect(s.fake.requests.isEmpty)
    await s.stop()
  }

  // MARK: building params from the catalog

  static func minimal(_ shape: Shape) -> [String: JSONValue] {
    var out: [String: JSONValue] = [:]
    for name in shape.requiredSets.first ?? [] {
      if let field = shape.field(name) { out[name] = sample(field.type) }
    }
    return out
  }

  static func sample(_ type: FieldType) -> JSONValue {
    switch type {
    case .string, .id, .any: return "x"
    case .time: return "2026-01-05T09:00:00Z"
    case .epochMilliseconds: return 1_780_000_000_000
    case .integer, .number: return 1
    case .boolean: return true
    case .null: return .null
    case .enumeration(let values): return .string(values.first ?? "")
    case .array(let item): return [sample(item)]
    case .object(let shape): return shape.isOpen ? .object([:]) : .object(minimal(shape))
    case .union(let types): return types.first.map(sample) ?? "x"
    }
  }

  /// A required field and a value of the wrong type for it.
  static func mistype(_ shape: Shape) -> (String, JSONValue)? {
    for name in shape.requiredSets.first ?? [] {
      switch shape.field(name)?.type {
      case .string?, .id?, .time?, .enumeration?: return (name, 42)
      case .boolean?, .integer?, .number?, .array?: return (name, "text")
      default: continue
      }
    }
    return nil
  }

  /// The error table a call raises (or `{}` when it succeeds), as JSON.
  static func error(_ s: Session, _ endpoint: String, _ params: [String: JSONValue]) async throws -> [String: LuaValue] {
    let json = String(decoding: JSONValue.object(params).encodedBytes(), as: UTF8.self)
    let r = try await s.run(
      """
      local ok, err = pcall(ashby.call, "\(endpoint)", ashby.json.decode([==[\(json)]==]))
      if ok then return {} end
      return { kind = err.kind, parameter = err.parameter, message = err.message }
      """)
    return r.first?.objectValue ?? [:]
  }
}
