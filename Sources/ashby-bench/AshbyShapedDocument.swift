import Foundation

/// A deterministic document shaped like a real `job.list` response.
enum AshbyShapedDocument {
  static func jobList(jobs: Int) -> String {
    var out = #"{"success":true,"results":["#
    for i in 0..<jobs {
      if i > 0 { out += "," }
      out += job(i)
    }
    out += #"],"moreDataAvailable":false,"syncToken":"c3luYy10b2tlbi0xMjM0NTY3ODk="}"#
    return out
  }

  static func uuid(_ n: Int, _ salt: Int) -> String {
    let h = String(format: "%08x", (n &* 2_654_435_761 &+ salt) & 0xffff_ffff)
    return
      "\(h)-\(String(format: "%04x", salt & 0xffff))-4\(String(format: "%03x", n % 4096))-8a1b-\(String(format: "%012x", n &* 7919 &+ salt))"
  }

  static func job(_ i: Int) -> String {
    let statuses = ["Open", "Closed", "Draft", "Archived"]
    let titles = [
      "Senior Backend Engineer", "Product Designer", "Recruiting Coordinator — EMEA", "Data Scientist, Growth",
      "Account Executive (São Paulo)",
    ]
    return """
      {"id":"\(uuid(i, 1))","title":"\(titles[i % titles.count]) #\(i)","confidential":\(i % 7 == 0),\
      "status":"\(statuses[i % 4])","employmentType":"FullTime","locationId":"\(uuid(i % 40, 2))",\
      "departmentId":"\(uuid(i % 25, 3))","defaultInterviewPlanId":"\(uuid(i, 4))","interviewPlanIds":["\(uuid(i, 4))"],\
      "customFields":[{"id":"\(uuid(i, 5))","title":"Budget approved","value":\(i % 2 == 0),"isPrivate":false},\
      {"id":"\(uuid(i, 6))","title":"Level","value":"L\(i % 7)","isPrivate":false},\
      {"id":"\(uuid(i, 7))","title":"Headcount","value":\(i % 5 + 1),"isPrivate":true}],\
      "jobPostingIds":["\(uuid(i, 8))","\(uuid(i, 9))"],"customRequisitionId":"REQ-\(10000 + i)",\
      "brandId":null,"hiringTeam":[{"email":"hm\(i % 50)@example.com","firstName":"Hiring","lastName":"Manager \(i % 50)",\
      "role":"Hiring Manager","userId":"\(uuid(i % 50, 10))"},{"email":"rec\(i % 12)@example.com","firstName":"Re\\u00e7ruiter",\
      "lastName":"N\(i % 12)","role":"Recruiter","userId":"\(uuid(i % 12, 11))"}],"author":{"id":"\(uuid(i % 9, 12))",\
      "firstName":"Author","lastName":"\(i % 9)","email":"author\(i % 9)@example.com","globalRole":"Organization Admin",\
      "isEnabled":true,"updatedAt":"2025-11-0\(i % 9 + 1)T10:15:30.123Z"},"createdAt":"2025-0\(i % 9 + 1)-12T08:30:00.000Z",\
      "updatedAt":"2026-01-1\(i % 10)T17:45:12.987Z","openedAt":"2025-0\(i % 9 + 1)-15T09:00:00.000Z",\
      "closedAt":null,"compensation":{"compensationTierSummary":"$150K – $190K • 0.05% – 0.1%",\
      "compensationTiers":[{"id":"\(uuid(i, 13))","tierSummary":"$150K – $190K","title":"Zone A",\
      "components":[{"id":"\(uuid(i, 14))","summary":"$150K – $190K","compensationType":"Salary","interval":"1 YEAR",\
      "currencyCode":"USD","minValue":150000,"maxValue":190000.5}]}]},"notes":"Line one\\nLine \\"two\\"\\t(tabbed)"}
      """
  }
}
