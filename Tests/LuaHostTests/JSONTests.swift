import LuaHost
import Testing

@Suite struct JSONTests {
  @Test func roundTripKeepsArraysObjectsAndNumberKinds() async throws {
    let vm = try await makeVM()
    let r = try await vm.run(
      """
      local doc = json.decode('{"a":[],"b":{},"c":[1,2.5,"x",true],"d":null,"e":[null,1],"big":12345678901234567890,"neg":-7}')
      return json.encode(doc.a), json.encode(doc.b), math.type(doc.c[1]), math.type(doc.c[2]),
        doc.d == nil, doc.e[1] == json.null, #doc.e, math.type(doc.big), doc.neg,
        json.encode({1, 2, 3}), json.encode({}), json.encode(json.array{}), json.encode({x = json.null}),
        json.encode(1.0), json.encode("é\\n\\"\\1")
      """)
    #expect(
      r == [
        "[]", "{}", "integer", "float", true, true, 2, "float", -7, "[1,2,3]", "{}", "[]", #"{"x":null}"#, "1.0",
        #""é\n\"\u0001""#,
      ])
  }

  @Test func decodesEscapesAndSurrogatePairs() async throws {
    let vm = try await makeVM()
    let r = try await vm.run(#"return json.decode('"\\u00e9\\ud83d\\ude00\\t\\/"')"#)
    #expect(r == ["é😀\t/"])
  }

  @Test(arguments: [
    (#"'{"a":1,}'"#, "expected a string key"),
    (#"'[1 2]'"#, "expected ',' or ']'"),
    (#"'"\\ud800"'"#, "lone surrogate"),
    (#"'"\255"'"#, "invalid UTF-8"),
    (#"string.rep("[", 2000)"#, "nesting too deep"),
    (#"'01'"#, "trailing characters"),
    (#"'{"a":1} x'"#, "trailing characters"),
    (#"'nul'"#, "invalid literal"),
    // Found by scripts/fuzz: past a double's range, once read as inf that encode then refused.
    (#"'[1e01234]'"#, "number out of range"),
    (#"'-1e400'"#, "number out of range"),
    (#"'[' .. string.rep('9', 400) .. ']'"#, "number out of range"),
  ])
  func rejectsBadInputWithAClearError(input: String, expected: String) async throws {
    let vm = try await makeVM()
    let r = try await vm.run("local ok, err = pcall(json.decode, \(input)); return ok, err")
    #expect(r.first == false)
    #expect(r.last?.stringValue?.contains(expected) == true, "got \(r)")
  }

  @Test func encodeRejectsWhatJSONCannotSay() async throws {
    let vm = try await makeVM()
    let r = try await vm.run(
      """
      local t = {}; t.self = t
      local results = {}
      for _, v in ipairs { print, 0/0, math.huge, "\\255", t, {[true] = 1} } do
        local ok, err = pcall(json.encode, v)
        results[#results + 1] = (not ok) and err:match("json: [^(]*[^ (]") or "encoded"
      end
      return table.unpack(results)
      """)
    #expect(
      r == [
        "json: cannot encode a function", "json: cannot encode NaN or infinity", "json: cannot encode NaN or infinity",
        "json: cannot encode a string with invalid UTF-8", "json: nesting too deep",
        "json: object keys must be strings",
      ])
  }

  /// What would be written wrong is refused: a key twice, an element dropped,
  /// one level more than decode reads.
  @Test func encodeRefusesWhatItWouldWriteUnfaithfully() async throws {
    let vm = try await makeVM()
    let r = try await vm.run(
      """
      local function try(v)
        local ok, err = pcall(json.encode, v)
        return ok and ("encoded " .. err) or err:match("json: [^:(]*")
      end
      local function nest(n)
        local t = {}
        for _ = 2, n do t = { t } end
        return t
      end
      local deepest_ok = json.encode(nest(1000))
      return try{ [1] = "int", ["1"] = "str" }, try(json.array{ [1] = 1, [1 << 31] = 2 }),
        try(json.array{ [1] = 1, [3] = 3 }), try{ [1] = "a", x = "b" } ~= nil,
        try(nest(1001)), pcall(json.decode, deepest_ok), pcall(json.decode, ("["):rep(1001) .. ("]"):rep(1001))
      """)
    #expect(r[0] == "json: the table has the key 1 both as a number and as a string")
    #expect(r[1] == "json: an array " && r[2] == "json: an array ", "refused as an array with keys past 1..n: \(r)")
    #expect(r[3] == true)
    #expect(r[4] == "json: nesting too deep ")
    #expect(r[5] == true, "decode reads what encode writes at the deepest")
    #expect(r[6] == false && r[7].stringValue?.contains("nesting too deep") == true, "neither goes one level further")
  }

  @Test func swiftValuesCrossIntactBothWays() async throws {
    let vm = try await makeVM()
    let value: LuaValue = ["list": [1, 2.5, "three", .null], "empty": .array([]), "nested": ["ok": true]]
    let r = try await vm.perform { ctx -> [LuaValue] in
      ctx.setGlobal("v", value)
      return try ctx.run("return v, json.encode(v.list), json.encode(v.empty), v.list[4] == json.null")
    }
    #expect(r[0] == value)
    #expect(r[1] == #"[1,2.5,"three",null]"#)
    #expect(r[2] == "[]")
    #expect(r[3] == true)
  }

  @Test func jsonTextFromTheHostArrivesAsTables() async throws {
    let vm = try await makeVM()
    try await vm.perform { ctx in
      ctx.registerAsync("host.text") { args in
        [.jsonText(Array((args.first?.stringValue ?? "").utf8)), "after"]
      }
    }
    let r = try await vm.run(
      """
      local doc, after = host.text('{"jobs":[{"id":"j1","n":2,"x":null}],"none":[],"big":123456789012345678901234567890123456789012345678901234567890123456789}')
      local ok, err = pcall(host.text, '{"jobs":[1,')
      -- Where Lua cannot yield, the call blocks and the text decodes on the running thread.
      local list = {3, 1, 2}
      table.sort(list, function(a, b) return host.text('[0]')[1] + a < b end)
      assert(table.concat(list, ",") == "1,2,3")
      return doc.jobs[1].id, math.type(doc.jobs[1].n), doc.jobs[1].x == nil, json.encode(doc.none), doc.big > 1e68,
        after, ok, err.kind, tostring(err)
      """)
    #expect(r.prefix(7) == ["j1", "integer", true, "[]", true, "after", false])
    #expect(r[7] == "host")
    #expect(r[8].stringValue?.contains("not valid") == true)
    #expect(try await vm.stackTop() == 0)
  }

  @Test func jsonTextPastTheMemoryCapIsALimitErrorAndTheVMGoesOn() async throws {
    let vm = try await makeVM { $0.memoryLimit = 8 << 20 }
    let big =
      "[" + Array(repeating: #"{"name":"a candidate","tags":["x","y"]}"#, count: 200_000).joined(separator: ",")
      + "]"
    try await vm.perform { ctx in
      ctx.registerAsync("host.big") { _ in [.jsonText(Array(big.utf8))] }
      ctx.registerAsync("host.small") { _ in [.jsonText(Array(#"{"ok":true}"#.utf8))] }
    }
    let r = try await vm.run(
      """
      local ok, err = pcall(host.big)
      collectgarbage()
      return ok, err.kind, err.message, host.small().ok
      """)
    #expect(r == [false, "limit", "memory limit of 8 MB exceeded", true])
  }
}
