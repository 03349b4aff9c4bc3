import AshbyFake
import AshbyJSON
import Foundation
import Testing

@testable import AshbyKit
import AshbyTestSupport

/// Moving an application to an `Archived` stage (rejecting a candidate) with an archive reason.
@Suite(.teardown) struct RejectionTests {
  @Test func rejectByReasonTitleInAnyCaseWithAnEmail() async throws {
    let h = try await Harness.start()
    onTeardown { await h.stop() }
    let app = h.fake.seedIDs("application")[1]
    let result = try await h.client.perform(
      "advance_application",
      [
        "application_id": .string(app), "stage": "archived", "archive_reason": "NOT A FIT",
        "archive_email": ["template": "rejection - standard", "send_at": "2026-12-02T09:00:00+01:00"],
      ])
    #expect(result["status"]?.string == "Archived")
    let reasonID = h.fake.seedIDs("archive_reason")[0]
    let sent = try #require(h.fake.requests(to: "application.changeStage").last?.json)
    #expect(sent["archiveReasonId"]?.string == reasonID)
    let email = sent["archiveEmail"]
    #expect(email?["communicationTemplateId"]?.string == h.fake.seedIDs("template")[0])
    #expect(email?["sendAt"]?.string == "2026-12-02T08:00:00.000Z")
    let state = h.fake.archiveState(ofApplication: app)
    #expect(state.status == "Archived")
    #expect(state.reason == "Not a fit")
    #expect(h.fake.stageTitle(ofApplication: app) == "Archived")
    #expect(h.fake.archiveEmails.map(\.application) == [app])
  }

  @Test func rejectByReasonAndStageIDs() async throws {
    let h = try await Harness.start()
    onTeardown { await h.stop() }
    let app = h.fake.seedIDs("application")[2]
    let archivedStage = try await Self.archivedStage(h, app)
    let reason = h.fake.seedIDs("archive_reason")[2]
    _ = try await h.client.perform(
      "advance_application",
      ["application_id": .string(app), "stage_id": .string(archivedStage), "archive_reason": .string(reason)])
    #expect(h.fake.requests(to: "application.changeStage").last?.json["archiveReasonId"]?.string == reason)
    #expect(h.fake.archiveState(ofApplication: app).reason == "Withdrew")
  }

  @Test func aMissingOrMisplacedReasonIsRefusedBeforeAnyWrite() async throws {
    let h = try await Harness.start()
    onTeardown { await h.stop() }
    let app = h.fake.seedIDs("application")[3]
    let missing = await expectAshbyError {
      _ = try await h.client.perform("advance_application", ["application_id": .string(app), "stage": "Archived"])
    }
    #expect(missing?.kind == .argument)
    #expect(missing?.parameter == "archive_reason")
    #expect(missing?.message.contains("\"Not a fit\", \"Position filled\", \"Withdrew\"") == true)
    let elsewhere = await expectAshbyError {
      _ = try await h.client.perform(
        "advance_application", ["application_id": .string(app), "stage": "Onsite", "archive_reason": "Not a fit"])
    }
    #expect(elsewhere?.kind == .argument)
    #expect(elsewhere?.message.contains("only for a move to a stage of type Archived") == true)
    let unknown = await expectAshbyError {
      _ = try await h.client.perform(
        "advance_application", ["application_id": .string(app), "stage": "Archived", "archive_reason": "Bored"])
    }
    #expect(unknown?.parameter == "archive_reason")
    let badTemplate = await expectAshbyError {
      _ = try await h.client.perform(
        "advance_application",
        [
          "application_id": .string(app), "stage": "Archived", "archive_reason": "Withdrew",
          "archive_email": ["template": "Nope"],
        ])
    }
    #expect(badTemplate?.parameter == "archive_email.template")
    let badTime = await expectAshbyError {
      _ = try await h.client.perform(
        "advance_application",
        [
          "application_id": .string(app), "stage": "Archived", "archive_reason": "Withdrew",
          "archive_email": ["template": "Thanks for applying", "send_at": "tomorrow"],
        ])
    }
    #expect(badTime?.parameter == "archive_email.send_at")
    #expect(h.fake.count("application.changeStage") == 0)
    #expect(h.fake.archiveState(ofApplication: app).status != "Archived")
  }

  /// The fake holds Ashby's rule itself, for calls that bypass the action.
  @Test func theFakeRefusesAnArchivedStageWithoutAReason() async throws {
    let h = try await Harness.start()
    onTeardown { await h.stop() }
    let app = h.fake.seedIDs("application")[4]
    let archived = try await Self.archivedStage(h, app)
    let e = await expectAshbyError {
      _ = try await h.client.call(
        "application.changeStage", ["applicationId": .string(app), "interviewStageId": .string(archived)])
    }
    #expect(e?.code == "invalid_input")
    #expect(e?.message.contains("archiveReasonId is required") == true)
    #expect(h.fake.archiveState(ofApplication: app).status != "Archived")
  }

  @Test func aDryRunResolvesTheReasonAndWritesNothing() async throws {
    let h = try await Harness.start { $0.dryRun = true }
    onTeardown { await h.stop() }
    let app = h.fake.seedIDs("application")[5]
    let r = try await h.client.perform(
      "advance_application", ["application_id": .string(app), "stage": "Archived", "archive_reason": "Went silent"])
    #expect(r["dry_run"]?.bool == true)
    #expect(r["archiveReason"]?["id"]?.string == h.fake.seedIDs("archive_reason")[3])
    #expect(h.fake.count("archiveReason.list") == 1)
    #expect(h.fake.count("application.changeStage") == 0)
    #expect(h.client.plannedWrites.map(\.action) == ["advance_application"])
  }

  /// The id of the Archived stage in the application's interview plan.
  static func archivedStage(_ h: Harness, _ app: String) async throws -> String {
    let info = try await h.client.call("application.info", ["applicationId": .string(app)])
    let plan = try #require(info["currentInterviewStage"]?["interviewPlanId"]?.string)
    let stages = try await h.client.call("interviewStage.list", ["interviewPlanId": .string(plan)]).array ?? []
    return try #require(stages.first { $0["type"]?.string == "Archived" }?["id"]?.string)
  }
}
