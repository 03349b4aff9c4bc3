-- An interview plan for scripts/schedule-interviews.lua (ids from the fake Ashby's demo data).
return {
  { application_id = "app-00000000-0000", start = "2026-03-02T10:00:00+01:00", minutes = 45, interviewer = "lee@example.com", location = "Room 4" },
  { application_id = "app-9e3779b1-0001", start = "2026-03-02T14:30:00Z", minutes = 60, interviewer = "sam@example.com" },
  { application_id = "app-3c6ef362-0002", start = "2026-03-03T09:00:00-05:00", interviewer = "priya@example.com", location = "Zoom" },
}
