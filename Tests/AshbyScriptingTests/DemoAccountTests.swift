import Testing

/// The fake's seed looks like a mid-size account: the first report a new user
/// makes shows a funnel that narrows and jobs with different counts.
@Suite struct DemoAccountTests {
  @Test func theDemoAccountHasAFunnelALongTailAndACalendar() async throws {
    let s = try await Session.start()
    let r = try await s.run(
      """
      local order = { "Lead", "Application Review", "Phone Screen", "Onsite", "Offer", "Hired" }
      local rank = {} for i, t in ipairs(order) do rank[t] = i end
      local reached, per_job, archived, with_reason, review, sources, stale = {}, {}, 0, 0, 0, {}, 0
      for app in ashby.pages("application.list") do
        per_job[app.job.id] = (per_job[app.job.id] or 0) + 1
        local title = app.currentInterviewStage.title
        if title == "Application Review" then review = review + 1 end
        if app.status == "Archived" then
          archived = archived + 1
          if app.archiveReason and app.archiveReason.text then with_reason = with_reason + 1 end
        elseif rank[title] then
          for i = 1, rank[title] do reached[i] = (reached[i] or 0) + 1 end
        end
        sources[app.source.title] = (sources[app.source.title] or 0) + 1
        if ashby.util.date.days_between(app.updatedAt) >= 14 then stale = stale + 1 end
      end
      local narrows = true
      for i = 2, #order do if not ((reached[i] or 0) < (reached[i - 1] or 0)) then narrows = false end end
      local distinct, counts = 0, {}
      for _, n in pairs(per_job) do if not counts[n] then counts[n] = true; distinct = distinct + 1 end end
      local top = 0 for _, n in pairs(sources) do top = math.max(top, n) end
      local departments = {}
      for _, job in ipairs(ashby.list_jobs{ status = "open" }.jobs) do departments[job.departmentId] = true end
      local d = 0 for _ in pairs(departments) do d = d + 1 end
      local upcoming = 0
      for schedule in ashby.pages("interviewSchedule.list") do
        if schedule.interviewEvents[1].startTime > ashby.util.date.format() then upcoming = upcoming + 1 end
      end
      return narrows, distinct, archived > 0 and archived == with_reason, review >= 5, d, top, stale > 0, upcoming > 0
      """)
    #expect(r.first == true, "the funnel narrows stage by stage: \(r)")
    #expect((r[1].integerValue ?? 0) >= 10, "jobs with different counts: \(r)")
    #expect(r[2] == true && r[3] == true, "\(r)")
    #expect(r[4] == 8, "open jobs in every department: \(r)")
    #expect(r[6] == true && r[7] == true, "stale applications and interviews on the calendar: \(r)")
    await s.stop()
  }
}
