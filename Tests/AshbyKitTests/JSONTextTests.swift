import AshbyJSON
import Foundation
import NIOCore
import NIOHTTP1
import Testing

@testable import AshbyKit

/// The client reads envelopes without decoding `results` and writes request
/// bodies by hand; both must agree with a real JSON implementation.
@Suite struct JSONTextTests {
  static let valid = [
    #"{}"#, #"[]"#, #" {"a" : [1, -2.5e+3, 0, -0, 0.25E-2, true, false, null]} "#, #""plain""#,
    #""\u00e9\ud83d\ude00\t\n\"\\\/\b\f\r""#, "\"é😀 ünïcode\"", #"[[[[{"deep":[{}]}]]]]"#,
    "123456789012345678901234567890",
    "1e-400", #"{"a":{"a":{"a":"a"}},"a":2}"#, "\t\r\n[ ]\n",
  ]

  static let invalid: [[UInt8]] =
    [
      #"{"a":1,}"#, #"[1,]"#, #"[1 2]"#, "01", "1.", "-", ".5", "1e", "+1", #""unterminated"#, "\"tab\there\"",
      #""\x""#, #""\ud800""#, #""\udc00x""#, #""\ud800\u0041""#, #""\u12g4""#, "tru", "nulls", "{} x", "[] []", "",
      " ", #"{"a"}"#, #"{1:2}"#, "[", "]", "1e400", "-1E+309",
      String(repeating: "[", count: 600) + String(repeating: "]", count: 600),
    ].map { Array($0.utf8) } + [
      [0x22, 0xC0, 0x80, 0x22],  // overlong NUL
      [0x22, 0xED, 0xA0, 0x80, 0x22],  // an encoded surrogate
      [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],  // past U+10FFFF
      [0x22, 0xE2, 0x82, 0x22],  // cut short
      [0x22, 0xFF, 0x22],
    ]

  @Test func acceptsWhatFoundationReads() throws {
    for text in Self.valid {
      #expect(RawJSON(Array(text.utf8)) != nil, "refused: \(text)")
      #expect((try? JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed)) != nil)
    }
  }

  @Test func refusesWhatIsNotJSON() {
    for bytes in Self.invalid {
      #expect(RawJSON(bytes) == nil, "accepted: \(String(decoding: bytes, as: UTF8.self).prefix(40))")
    }
  }

  @Test func nestingUpToTheCapIsFine() {
    let depth = JSONScanner.maxDepth
    let text = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
    #expect(RawJSON(Array(text.utf8)) != nil)
    #expect(RawJSON(Array(text.utf8))?.value != .null)
  }

  @Test func membersAreTheExactValueTexts() throws {
    let text = #"{ "success" : true, "results": {"id":"j-1","tags":["a","b"]} ,"n\u0061me":"x\"y", "e":{} }"#
    let members = try #require(Array(text.utf8).withUnsafeBytes { JSONScanner.members(of: $0) })
    func slice(_ key: String) -> String? {
      members[key].map { String(decoding: Array(text.utf8)[$0], as: UTF8.self) }
    }
    #expect(slice("success") == "true")
    #expect(slice("results") == #"{"id":"j-1","tags":["a","b"]}"#)
    #expect(slice("name") == #""x\"y""#)
    #expect(slice("e") == "{}")
    #expect(members.count == 4)
    #expect(Array("[1]".utf8).withUnsafeBytes { JSONScanner.members(of: $0) } == nil)
  }

  @Test func aSuccessKeepsResultsAsSentAndReadsThePagingFields() throws {
    let body =
      #"{"success":true,"results":[{"id":"a","n":1.50}],"moreDataAvailable":true,"nextCursor":"c\u002d2","syncToken":"t","warnings":["w"]}"#
    var headers = HTTPHeaders()
    headers.add(name: "x-ashby-request-id", value: "req-1")
    let raw = RawResponse(status: 200, headers: headers, body: ByteBuffer(string: body))
    let response = try Envelope.parse(raw, endpoint: "job.list").get()
    #expect(response.rawResults.description == #"[{"id":"a","n":1.50}]"#)
    #expect(response.results == [["id": "a", "n": .double(1.5)]])
    #expect(response.moreDataAvailable)
    #expect(response.nextCursor == "c-2")
    #expect(response.syncToken == "t")
    #expect(response.warnings == ["w"])
    #expect(response.requestId == "req-1")
  }

  @Test func aSuccessWithoutResultsIsNull() throws {
    let raw = RawResponse(status: 200, headers: HTTPHeaders(), body: ByteBuffer(string: #"{"success":true}"#))
    let response = try Envelope.parse(raw, endpoint: "x.y").get()
    #expect(response.rawResults == .null)
    #expect(!response.moreDataAvailable)
  }

  @Test func garbledTextIsARetryableError() {
    for body in [#"{"success":true,"results":[1,}"#, #"{"success":true"#, "<html>"] {
      let raw = RawResponse(status: 200, headers: HTTPHeaders(), body: ByteBuffer(string: body))
      guard case .failure(let e) = Envelope.parse(raw, endpoint: "job.info") else {
        Issue.record("parsed: \(body)")
        continue
      }
      #expect(e.retryable)
      #expect(e.message.contains("not JSON"))
    }
  }

  @Test func textOnlyFoundationReadsIsStillAnAnswer() throws {
    // Foundation forgives a trailing comma; the answer is taken as it read it.
    let raw = RawResponse(
      status: 200, headers: HTTPHeaders(), body: ByteBuffer(string: #"{"success":true,"results":[1,],}"#))
    #expect(try Envelope.parse(raw, endpoint: "x.list").get().results == [1])
  }

  @Test func encodingRoundTripsThroughFoundation() throws {
    let control = String(decoding: (0..<0x20).map { UInt8($0) }, as: UTF8.self)
    let value: JSONValue = [
      "text": .string("quote \" backslash \\ slash / é 😀 \(control)"),
      "ints": [.int(0), .int(-1), .int(Int64.max), .int(Int64.min)],
      "doubles": [.double(0.1), .double(1.0), .double(-2.5e-300), .double(1e300), .double(123456.789)],
      "flags": [true, false, .null],
      "nested": ["empty": [:], "list": []],
    ]
    let bytes = value.encodedBytes()
    #expect(RawJSON(bytes) != nil)
    #expect(try JSONValue.decode(Data(bytes)) == value)
    #expect(String(decoding: JSONValue.string("a/b\u{7}").encodedBytes(), as: UTF8.self) == #""a/b\u0007""#)
    #expect(String(decoding: JSONValue.double(.infinity).encodedBytes(), as: UTF8.self) == "0")
  }
}
