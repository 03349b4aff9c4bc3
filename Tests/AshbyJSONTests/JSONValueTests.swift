import AshbyJSON
import Foundation
import Testing

/// JSON as plain values: what Ashby sends comes back the same when encoded, integers stay integers, and
/// times are read as Ashby writes them, nothing looser.
@Suite struct JSONValueTests {
  @Test func aDocumentRoundTripsWithItsTypes() throws {
    let text = #"{"a":1,"b":1.5,"c":"x\u00e9","d":[true,null,{"e":-2}],"f":{}}"#
    let value = try JSONValue.decode(Data(text.utf8))
    #expect(value["a"] == .int(1))
    #expect(value["b"] == .double(1.5))
    #expect(value["c"]?.string == "xé")
    #expect(value["d"] == .array([.bool(true), .null, .object(["e": .int(-2)])]))
    #expect(value["f"] == .object([:]))
    #expect(try JSONValue.decode(value.encoded()) == value)
  }

  @Test(arguments: ["", "{", "{\"a\" 1}", "nul", "\"unterminated"])
  func malformedTextIsRefused(text: String) {
    #expect(throws: (any Error).self) { _ = try JSONValue.decode(Data(text.utf8)) }
  }
}
