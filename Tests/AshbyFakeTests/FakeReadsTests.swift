import AshbyJSON
import AshbyTestSupport
import Foundation
import Testing

@testable import AshbyFake

/// The reads a recruiting script reaches for, consistent with the writes the fake takes.
@Suite(.teardown) struct FakeReadsTests {
  static func start() async throws -> FakeAshby { try await FakeFixture.start().fake }

  static func results(_ fake: FakeAshby, _ endpoint: String, _ body: String) async throws -> [JSONValue] {
    let answer = try await FakeAshbyTests.call(fake, endpoint, body).answer
    #expect(answer["success"] == true, "\(endpoint): \(answer)")
    return answer["results"]?.array ?? []
  }

  @Test func theStageHistoryFollowsEveryMove() async throws {
    let fake = try await Self.start()
    let app = fake.seedIDs("application")[0]
    let before = try await Self.results(fake, "application.listHistory", #"{"applicationId":"\#(app)"}"#)
    let current = try #require(before.last)
    #expect(current["title"] == "Application Review" && current["leftStageAt"] == .null)
    let info = try await FakeAshbyTests.call(fake, "application.info", #"{"applicationId":"\#(app)"}"#).answer
    #expect(current["enteredStageAt"] == info["results"]?["updatedAt"], "the current stage was entered at the last change")
    // Entered in order, each left when the next was entered.
    for (a, b) in zip(before, before.dropFirst()) { #expect(a["leftStageAt"] == b["enteredStageAt"]) }

    let plan = try #require(info["results"]?["currentInterviewStage"]?["interviewPlanId"]?.string)
    let stages = try await Self.results(fake, "interviewStage.list", #"{"interviewPlanId":"\#(plan)"}"#)
    let offer = try #require(stages.first { $0["title"] == "Offer" }?["id"]?.string)
    let moved = try await FakeAshbyTests.call(
      fake, "application.changeStage", #"{"applicationId":"\#(app)","interviewStageId":"\#(offer)"}"#)
    #expect(moved.answer["success"] == true)
    let after = try await Self.results(fake, "application.listHistory", #"{"applicationId":"\#(app)"}"#)
    #expect(after.count == before.count + 1 && after.last?["title"] == "Offer" && after.last?["leftStageAt"] == .null)
    #expect(after[before.count - 1]["leftStageAt"] == after.last?["enteredStageAt"])
    // Reaching Offer made an offer.
    let offers = try await Self.results(fake, "offer.list", #"{"applicationId":"\#(app)"}"#)
    #expect(offers.count == 1 && offers.first?["acceptanceStatus"] == "Pending")
    let missing = try await FakeAshbyTests.call(fake, "application.listHistory", #"{"applicationId":"app-none"}"#)
    #expect(missing.answer["errorInfo"]?["code"] == "application_not_found")
  }

  @Test func aNoteWrittenIsListed() async throws {
    let fake = try await Self.start()
    let candidate = fake.seedIDs("candidate")[1]
    #expect(try await Self.results(fake, "candidate.listNotes", #"{"candidateId":"\#(candidate)"}"#).isEmpty)
    for text in ["first", "second"] {
      _ = try await Self.results(fake, "candidate.createNote", #"{"candidateId":"\#(candidate)","note":"\#(text)"}"#)
    }
    let notes = try await Self.results(fake, "candidate.listNotes", #"{"candidateId":"\#(candidate)"}"#)
    #expect(notes.compactMap { $0["content"]?.string } == ["first", "second"])
  }

  @Test func theOrganisationsListsAnswer() async throws {
    let fake = try await Self.start()
    #expect(try await Self.results(fake, "user.list", "{}").count == fake.seedIDs("user").count)
    let interviews = try await Self.results(fake, "interview.list", "{}")
    let withArchived = try await Self.results(fake, "interview.list", #"{"includeArchived":true}"#)
    #expect(!interviews.isEmpty && withArchived.count == interviews.count + 1)
    let tags = try await Self.results(fake, "candidateTag.list", "{}")
    #expect(!tags.isEmpty && tags.allSatisfy { $0["isArchived"] == false })
    #expect(try await Self.results(fake, "customField.list", "{}").count == 3)
    let postings = try await Self.results(fake, "jobPosting.list", "{}")
    let listed = try await Self.results(fake, "jobPosting.list", #"{"listedOnly":true}"#)
    #expect(!listed.isEmpty && listed.count < postings.count && listed.allSatisfy { $0["isListed"] == true })
    let london = try await Self.results(fake, "jobPosting.list", #"{"location":"London"}"#)
    #expect(!london.isEmpty && london.allSatisfy { $0["locationName"] == "London" })
    let schedules = try await Self.results(fake, "interviewSchedule.list", "{}")
    let app = try #require(schedules.first?["applicationId"]?.string)
    let forOne = try await Self.results(fake, "interviewSchedule.list", #"{"applicationId":"\#(app)"}"#)
    #expect(!forOne.isEmpty && forOne.allSatisfy { $0["applicationId"]?.string == app })
  }

  /// docs/fake.md is the fake's own table, written out: it cannot drift.
  @Test func theDocsListWhatTheFakeModels() throws {
    let url = packageRoot.appendingPathComponent("docs/fake.md")
    let generated = FakeStore.markdown()
    if ProcessInfo.processInfo.environment["ASHBY_WRITE_DOCS"] == "1" {
      try generated.write(to: url, atomically: true, encoding: .utf8)
    }
    let committed = try String(contentsOf: url, encoding: .utf8)
    #expect(committed == generated, "docs/fake.md differs from the fake's table: ASHBY_WRITE_DOCS=1 swift test --filter FakeReadsTests")
    for name in FakeStore.endpoints.keys { #expect(committed.contains("`\(name)`")) }
  }
}
