import MCP

extension AshbyMCPServer {
  /// The tools, each with annotations that say truly whether it reads, writes, or is idempotent.
  static let tools: [Tool] = [
    Tool(
      name: "search_endpoints", title: "Search Ashby's endpoints and actions",
      description:
        "Finds the ashby table's actions and Ashby's endpoints whose name, permission or summary holds every word of the query (read, write, candidate, offer...).",
      inputSchema: schema(["query": ["type": "string", "description": "Words to look for"]], required: ["query"]),
      annotations: .init(readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false)),
    Tool(
      name: "describe", title: "Describe an endpoint, action or object",
      description:
        "What an endpoint (candidate.create), an action (ashby.advance_application), a function or an object (Application) takes and returns: fields, types, required, read or write, permission, paging.",
      inputSchema: schema(["name": ["type": "string", "description": "An endpoint, action, function or object name"]], required: ["name"]),
      annotations: .init(readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false)),
    Tool(
      name: "run_script", title: "Run Lua against Ashby, as a dry run",
      description:
        "Runs Lua with the `ashby` table (see the guide resource) in a sandboxed child process, always as a dry run: reads go to Ashby, writes are not sent but saved as a plan whose id comes back (plan_id). The text is what the script printed. Limits: timeout_s (default 30), 64 MB, 200 requests.",
      inputSchema: schema(
        [
          "code": ["type": "string", "description": "Lua source"],
          "args": ["type": "array", "items": ["type": "string"], "description": "The script's arguments (arg, ...)"],
          "timeout_s": ["type": "number", "description": "Seconds before the script is stopped"],
        ], required: ["code"]),
      annotations: .init(readOnlyHint: true, destructiveHint: false, idempotentHint: false, openWorldHint: true)),
    Tool(
      name: "show_plan", title: "Show a plan",
      description: "A saved plan's writes, in order, with what each changes as it is now.",
      inputSchema: schema(["plan_id": ["type": "string"]], required: ["plan_id"]),
      annotations: .init(readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false)),
    Tool(
      name: "apply_plan", title: "Apply a plan to Ashby",
      description:
        "Makes a plan's writes in Ashby, once: each target is checked for drift first, every write is in the audit log. A person is asked first unless the server allows applying; a plan applied already is refused.",
      inputSchema: schema(["plan_id": ["type": "string"]], required: ["plan_id"]),
      annotations: .init(readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true)),
    Tool(
      name: "audit", title: "Read the audit log",
      description: "The writes made to Ashby, newest first: who, when, what, the outcome.",
      inputSchema: schema(
        ["limit": ["type": "integer", "minimum": 1, "maximum": 1000], "run_id": ["type": "string"]], required: []),
      annotations: .init(readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false)),
  ]

  static func schema(_ properties: [String: Value], required: [String]) -> Value {
    .object([
      "type": "object", "properties": .object(properties), "required": .array(required.map(Value.string)),
      "additionalProperties": false,
    ])
  }
}
