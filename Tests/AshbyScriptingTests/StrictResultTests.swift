import AshbyCatalog
import AshbyFake
import AshbyJSON
import LuaHost
import Testing

/// Result tables are strict against Ashby's own description of its objects: a
/// typo raises with the nearest field, a known field the answer left out is
/// nil, a field the answer has always works, and nothing else sees a difference.
@Suite struct StrictResultTests {
  @Test func theCatalogDescribesTheObjectsOfEveryAnswer() {
    #expect(Catalog.objects.count >= 100)
    for endpoint in Catalog.endpoints {
      guard let results = endpoint.results else { continue }
      let inner = results.trimmingCharacters(in: ["[", "]"])
      let plain = inner.split(separator: "|").allSatisfy { ["string", "integer", "number", "boolean", "any"].contains($0) }
      #expect(plain || Catalog.object(inner) != nil, "\(endpoint.name) returns \(results), which the catalog does not describe")
    }
    // Every object a field holds is described too, and the known ones have their fields.
    for object in Catalog.objects {
      for (name, type) in object.fields {
        let inner = type.trimmingCharacters(in: ["[", "]"])
        if inner.first?.isUppercase == true { #expect(Catalog.object(inner) != nil, "\(object.name).\(name): \(type)") }
      }
    }
    let application = Set(Catalog.object("Application")?.fields.map(\.name) ?? [])
    #expect(application.isSuperset(of: ["id", "status", "currentInterviewStage", "candidate", "job", "archivedAt"]))
    #expect(Catalog.endpoint("application.list")?.results == "[Application]")
    #expect(Catalog.endpoint("job.info")?.results == "Job")
    #expect(Catalog.object("Job")?.fields.contains { $0.name == "location" && $0.type == "Location" } == true)
  }

  /// For every object of the catalog: each known field absent is nil, a typo
  /// of one raises naming the object and a field it has, a present unknown
  /// field works, and a field holding another object is strict as that one.
  @Test func everyObjectRaisesForATypoAndNotForAKnownAbsentField() async throws {
    let s = try await Session.start()
    var checked = 0
    for object in Catalog.objects where !object.isOpen {
      let names = object.fields.map { "\"\($0.name)\"" }.joined(separator: ", ")
      let nested = object.fields.first { ResponseObject.objectName(in: $0.type).flatMap(Catalog.object)?.isOpen == false }
      let r = try await s.run(
        """
        local t = ashby.object({ newerThanTheCatalog = 7 }, "\(object.name)")
        for _, field in ipairs{ \(names) } do
          local ok, v = pcall(function() return t[field] end)
          assert(ok and v == nil, field .. ": " .. tostring(v))
        end
        assert(t.newerThanTheCatalog == 7 and t[1] == nil and rawget(t, "id") == nil)
        local typo = "\(object.fields[0].name)" .. "Zq"
        local ok, err = pcall(function() return t[typo] end)
        assert(not ok, "a typo read as nil")
        local nested_error = "none"
        \(nested.map { "local n = ashby.object({ \($0.name) = {} }, \"\(object.name)\").\($0.name); nested_error = select(2, pcall(function() return n.zzzNoSuchField end))" } ?? "")
        return err, nested_error
        """)
      let message = r.first?.stringValue ?? ""
      #expect(message.contains("\(object.name) has no field '\(object.fields[0].name)Zq' (did you mean '"), "\(message)")
      let suggested = message.split(separator: "'").dropFirst(3).first.map(String.init) ?? ""
      #expect(object.fields.contains { $0.name == suggested }, "\(object.name): suggested \(suggested)")
      if let nested, let child = ResponseObject.objectName(in: nested.type) {
        #expect(r[1].stringValue?.contains("\(child) has no field 'zzzNoSuchField'") == true, "\(object.name).\(nested.name): \(r[1])")
      }
      checked += 1
    }
    #expect(checked >= 100)
    await s.stop()
  }

  @Test func resultsOfCallsActionsAndPagesAreStrictAndEverythingElseSeesTheSameFields() async throws {
    let s = try await Session.start()
    let r = try await s.run(
      """
      local pretty = require("ashby.pretty")
      local app = ashby.call("application.list", {})[1]
      local function err(f) local ok, e = pcall(f); return ok and "no error" or tostring(e) end
      local out = {
        err(function() return app.currentStage end),
        err(function() return app.currentInterviewStage.titel end),
        err(function() return ashby.get_job(app.job.id).titel end),
        err(function() for c in ashby.pages("candidate.list") do return c.emailAdresses end end),
        err(function() return ashby.list_jobs{ status = "open" }.jobz end),
        tostring(app.archivedAt), -- known, absent: nil
      }
      -- pairs, the JSON encoder and the pretty printer see the fields Ashby sent, no more.
      local keys, n = {}, 0
      for k in pairs(app) do keys[k] = true; n = n + 1 end
      local decoded = ashby.json.decode(ashby.json.encode(app))
      local same = 0
      for k in pairs(decoded) do if keys[k] then same = same + 1 end end
      local shown = pretty.format(app)
      local listed = 0
      for k in pairs(keys) do if shown:find(k .. " = ", 1, true) then listed = listed + 1 end end
      out[#out + 1] = tostring(n > 5 and same == n and listed == n and not shown:find("archivedAt", 1, true))
      return table.concat(out, "\\n")
      """)
    let lines = (r.first?.stringValue ?? "").split(separator: "\n").map(String.init)
    #expect(lines.count == 7, "\(lines)")
    guard lines.count == 7 else { return }
    #expect(lines[0].hasSuffix("Application has no field 'currentStage' (did you mean 'currentInterviewStage'?)"), "\(lines[0])")
    #expect(lines[1].hasSuffix("InterviewStage has no field 'titel' (did you mean 'title'?)"), "\(lines[1])")
    #expect(lines[2].hasSuffix("Job has no field 'titel' (did you mean 'title'?)"), "\(lines[2])")
    #expect(lines[3].hasSuffix("Candidate has no field 'emailAdresses' (did you mean 'emailAddresses'?)"), "\(lines[3])")
    #expect(lines[4].hasSuffix("JobList has no field 'jobz' (did you mean 'jobs'?)"), "\(lines[4])")
    #expect(lines[5] == "nil")
    #expect(lines[6] == "true")
    // The error points at the script's line, also through a tail call.
    let tail = try await s.run("local function f() return ashby.get_job{ job_idd = 'x' } end\nlocal ok, e = pcall(f)\nreturn e.where")
    #expect(tail.first == "script.lua:1")
    await s.stop()
  }

  @Test func aDryRunStandInIsStrictToo() async throws {
    let s = try await Session.start(dryRun: true)
    let r = try await s.run(
      """
      local c = ashby.create_candidate{ first_name = "A", last_name = "B", email = "ab@example.com" }
      return c.dry_run, c.resumeFileHandle, select(2, pcall(function() return c.nmae end))
      """)
    #expect(r.first == true)
    #expect(r[1] == .nil)
    #expect(r[2].stringValue?.contains("Candidate has no field 'nmae' (did you mean 'name'?)") == true, "\(r)")
    await s.stop()
  }
}
