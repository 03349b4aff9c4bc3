import AshbyJSON
import AsyncHTTPClient
import Foundation
import NIOCore

extension AshbyClient {
  /// Downloads a resume and attaches it to a candidate:
  /// `file.createFileUploadHandle`, a multipart POST to the returned URL, then
  /// `candidate.uploadResume`. Neither the download nor the upload carries the
  /// API key: they go to other hosts. Returns the updated Candidate.
  @discardableResult
  public func uploadResume(from url: String, candidate: String) async throws(AshbyError) -> JSONValue {
    let file = try await downloadThroughCassette(url)
    let handle = try await call(
      "file.createFileUploadHandle",
      [
        "fileUploadContext": "CandidateResume", "filename": .string(file.name),
        "contentType": .string(file.contentType), "contentLength": .int(Int64(file.bytes.readableBytes)),
      ])
    guard let uploadURL = handle["url"]?.string, let resumeHandle = handle["handle"]?.string else {
      throw AshbyError(
        .api, "file.createFileUploadHandle returned no url or handle", endpoint: "file.createFileUploadHandle")
    }
    _ = try await throughCassette("resume:upload", ["url": .string(uploadURL)]) { () async throws(AshbyError) in
      // A file a cassette stood in for was never kept: the real one is fetched before anything is sent.
      let real = file.replayed ? try await downloadResume(url) : file
      try await postMultipart(to: uploadURL, fields: handle["fields"]?.object ?? [:], file: real)
      return .object([:])
    }
    return try await call(
      "candidate.uploadResume", ["candidateId": .string(candidate), "resumeHandle": .string(resumeHandle)])
  }

  struct DownloadedFile {
    var name: String
    var contentType: String
    var bytes: ByteBuffer
    /// Zeros of the recorded size, from a cassette: a replay needs only the name, type and length.
    var replayed = false
  }

  /// The resume's download, or with a cassette what it recorded of it (never the file's bytes,
  /// which are a person's data): a replay goes to no host at all.
  private func downloadThroughCassette(_ url: String) async throws(AshbyError) -> DownloadedFile {
    var live: DownloadedFile?
    let summary = try await throughCassette("resume:download", ["url": .string(url)]) { () async throws(AshbyError) in
      let file = try await downloadResume(url)
      live = file
      return ["name": .string(file.name), "contentType": .string(file.contentType), "size": .int(Int64(file.bytes.readableBytes))]
    }
    if let live { return live }
    guard let name = summary["name"]?.string, let type = summary["contentType"]?.string,
      let size = summary["size"]?.int, size >= 0, size <= configuration.maxResumeBytes
    else {
      throw AshbyError(.network, "the cassette's resume:download answer for \(url) is not a name, a contentType and a size up to \(configuration.maxResumeBytes)")
    }
    return DownloadedFile(name: name, contentType: type, bytes: ByteBuffer(repeating: 0, count: Int(size)), replayed: true)  // 0...maxResumeBytes
  }

  /// A leg to a host other than Ashby, through the run's cassette when it has one: answered
  /// from it in a replay, written to it when recording (under a name no Ashby endpoint has),
  /// a failure as its kind, message, code, endpoint and parameter, so a replay fails as the recorded run did.
  private func throughCassette(
    _ leg: String, _ request: JSONValue, live: () async throws(AshbyError) -> JSONValue
  ) async throws(AshbyError) -> JSONValue {
    guard let cassette = configuration.cassette else { return try await live() }
    let body = request.encoded()
    if cassette.mode != .record {
      if let recorded = cassette.answer(endpoint: leg, body: body) {
        let answer = try? JSONValue.decode(Data(recorded.body.readableBytesView))
        if let failure = answer?["failure"], let message = failure["message"]?.string {
          var error = AshbyError(
            failure["kind"]?.string.flatMap(AshbyError.Kind.init(rawValue:)) ?? .network, message,
            code: failure["code"]?.string, endpoint: failure["endpoint"]?.string)
          error.parameter = failure["parameter"]?.string
          throw error
        }
        return answer ?? .null
      }
      if cassette.mode == .replay {
        throw AshbyError(.network, cassette.miss(endpoint: leg, body: body), code: "not_in_cassette", endpoint: leg)
      }
    }
    let answer: JSONValue
    do {
      answer = try await live()
    } catch {
      var failure: [String: JSONValue] = ["kind": .string(error.kind.rawValue), "message": .string(error.message)]
      for (name, value) in [("code", error.code), ("endpoint", error.endpoint), ("parameter", error.parameter)] {
        if let value { failure[name] = .string(value) }
      }
      cassette.record(endpoint: leg, body: body, answer: ["failure": .object(failure)])
      throw error
    }
    cassette.record(endpoint: leg, body: body, answer: answer)
    return answer
  }

  /// http/https only, size-capped, at most 3 redirects, no credentials.
  func downloadResume(_ url: String) async throws(AshbyError) -> DownloadedFile {
    guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), ["http", "https"].contains(scheme)
    else { throw AshbyError.argument("resume_url", "only http and https resume URLs are fetched") }
    var request = HTTPClientRequest(url: url)
    request.method = .GET
    do {
      let response = try await Self.downloads.execute(request, timeout: .seconds(60))
      guard (200..<300).contains(response.status.code) else {
        throw AshbyError(
          .network, "downloading the resume failed: HTTP \(response.status.code) from \(parsed.host ?? url)")
      }
      let bytes = try await response.body.collect(upTo: configuration.maxResumeBytes)
      let last = (response.url ?? parsed).lastPathComponent  // after redirects
      let name = last.isEmpty || last == "/" ? "resume" : last
      let type = response.headers.first(name: "Content-Type")?.split(separator: ";").first.map(String.init)
      return DownloadedFile(name: name, contentType: type ?? "application/octet-stream", bytes: bytes)
    } catch let error as AshbyError {
      throw error
    } catch is NIOTooManyBytesError {
      throw AshbyError(.network, "the resume is larger than \(configuration.maxResumeBytes) bytes")
    } catch {
      throw AshbyError(.network, "downloading the resume failed: \(error)")
    }
  }

  private func postMultipart(to url: String, fields: [String: JSONValue], file: DownloadedFile) async throws(AshbyError)
  {
    let boundary = "ashby-lua-\(UUID().uuidString)"
    var body = ByteBuffer()
    for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
      let text = value.string ?? String(decoding: value.encoded(), as: UTF8.self)
      body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(text)\r\n")
    }
    body.writeString(
      "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(file.name)\"\r\nContent-Type: \(file.contentType)\r\n\r\n"
    )
    var bytes = file.bytes
    body.writeBuffer(&bytes)
    body.writeString("\r\n--\(boundary)--\r\n")
    var request = HTTPClientRequest(url: url)
    request.method = .POST
    request.headers.add(name: "Content-Type", value: "multipart/form-data; boundary=\(boundary)")
    request.body = .bytes(body)
    do {
      let response = try await Self.downloads.execute(request, timeout: .seconds(60))
      guard (200..<300).contains(response.status.code) else {
        throw AshbyError(.network, "uploading the resume failed: HTTP \(response.status.code)")
      }
    } catch let error as AshbyError {
      throw error
    } catch {
      throw AshbyError(.network, "uploading the resume failed: \(error)")
    }
  }

  /// A client for other hosts (resume downloads and uploads): no auth header, bounded redirects.
  static let downloads: HTTPClient = {
    var c = HTTPClient.Configuration()
    c.redirectConfiguration = .follow(max: 3, allowCycles: false)
    c.timeout = .init(connect: .seconds(10), read: .seconds(60))
    return HTTPClient(eventLoopGroupProvider: .singleton, configuration: c)
  }()
}
