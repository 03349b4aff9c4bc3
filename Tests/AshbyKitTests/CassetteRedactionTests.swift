import AshbyJSON
import AshbyTestSupport
import Crypto
import Foundation
import Testing

@testable import AshbyKit

/// What a redacting cassette writes, exchange by exchange, read back from its file.
struct CassetteRedactionTests {
  func written(
    _ exchanges: [(String, JSONValue, JSONValue)], into path: String, mode: Cassette.Mode = .record,
    key: SymmetricKey = SymmetricKey(size: .bits256)
  ) throws -> String {
    let cassette = try Cassette(path: path, mode: mode, peopleKey: key)
    for (endpoint, request, answer) in exchanges {
      cassette.record(endpoint: endpoint, body: request.encoded(), answer: answer)
    }
    try cassette.save()
    return try String(contentsOfFile: path, encoding: .utf8)
  }

  /// `file.info` answers a resume's download link, with no person around it: it is replaced all the same.
  @Test func aFileInfoURLIsReplaced() throws {
    let path = try scratch().appendingPathComponent("file.json").path
    let link = "https://s3.example.com/resumes/ada-lovelace.pdf?X-Amz-Signature=abc"
    let text = try written(
      [("file.info", ["fileHandle": "h-1"], ["success": true, "results": ["url": .string(link)]])], into: path)
    #expect(!text.contains("ada-lovelace"), "\(text)")
    #expect(text.contains("https://redacted.example.invalid/1"), "\(text)")
  }

  /// A person met again in a later `--record-missing` session (of this user: the key) gets the stand-in
  /// the file gave them; the file holds no digest anyone without the key could test a guess against.
  @Test func aPersonMetAgainInALaterSessionKeepsTheirStandIn() throws {
    let path = try scratch().appendingPathComponent("people.json").path
    let key = SymmetricKey(size: .bits256)
    let ada: JSONValue = ["id": "c-1", "name": "Ada Lovelace", "primaryEmailAddress": ["value": "ada@corp.example"]]
    let grace: JSONValue = ["id": "c-2", "name": "Grace Hopper", "primaryEmailAddress": ["value": "grace@corp.example"]]
    let first = try written([("candidate.list", [:], ["success": true, "results": [ada]])], into: path, key: key)
    let text = try written(
      [("candidate.info", ["id": "c-1"], ["success": true, "results": ada]),
       ("candidate.info", ["id": "c-2"], ["success": true, "results": grace])],
      into: path, mode: .replayRecordingMissing, key: key)
    // Without the key a digest is not testable: the salted ones (`stand_ins`) are only for what a request sent.
    let salt = try #require(try JSONValue.decode(Data(first.utf8))["salt"]?.string)
    for value in ["Ada Lovelace", "ada@corp.example"] {
      #expect(!text.contains(Cassette.digest(value, salt: salt)), "a salted digest of \(value) is in the file")
    }
    #expect(!first.contains("stand_ins") && first.contains("\"people\""), "\(first)")
    for value in ["Ada Lovelace", "ada@corp.example", "Grace Hopper", "grace@corp.example"] {
      #expect(!text.contains(value), "\(value) is in the cassette")
    }
    let file = try #require(try JSONValue.decode(Data(text.utf8)).object)
    let answers = file["interactions"]?.array?.compactMap { $0["response"]?["results"] } ?? []
    #expect(answers.count == 3)
    let listed = answers.first?.array?.first
    #expect(listed?["name"] == answers[1]["name"] && listed?["primaryEmailAddress"] == answers[1]["primaryEmailAddress"])
    #expect(answers[2]["name"] != listed?["name"], "a new person gets a new stand-in")
    #expect(answers[2]["name"]?.string == "Person 2", "numbered after the file's: \(answers[2])")
  }
}
